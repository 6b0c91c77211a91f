# The fleet folder on a simulated fleet: Deploy-WslPortProxy.ps1 (Publish-WslPortProxy) over
# simulated PowerShell remoting, and the installer snippets the Ansible playbooks run.

BeforeAll {
    . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    . (Join-Path $PSScriptRoot '../sim/SimulatedFleet.ps1')
    $script:Dist = New-TestBundle -Inventory @'
defaults:
  run_as: CORP\svc-podman
  wait_for_wsl: 3s
  ports: [80]
servers:
  - name: WEB-01
  - name: WEB-02
  - name: WEB-03
'@
    $script:Deploy = Join-Path $script:Dist '_fleet/Deploy-WslPortProxy.ps1'
    $script:Password = ConvertTo-SecureString -String 'Corr3ct-Horse!' -AsPlainText -Force
    $script:TaskCredential = New-Object System.Management.Automation.PSCredential -ArgumentList 'task', $script:Password   # what site.yml's sensitive_parameters makes

    function Invoke-Deploy {
        <# Runs Deploy-WslPortProxy.ps1 unmodified; its exit code, results and error messages. #>
        param([hashtable] $Parameters = @{})
        $global:LASTEXITCODE = 0
        $output = @(& $script:Deploy @Parameters 2>&1 3>$null 6>$null)
        [pscustomobject]@{
            ExitCode = $LASTEXITCODE
            Results  = @($output | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
            Errors   = @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { $_.Exception.Message })
        }
    }

    function Get-Action { param($Result) @($Result.Results | ForEach-Object { "$($_.Server)=$($_.Action)" }) }

    function Get-ServerRule {
        <# The portproxy rules of one simulated server. #>
        param([string] $Name)
        Use-SimServer $Name
        Get-SimPortProxy
    }

    function Get-Overlap {
        <# How many pairs of install-bundle.ps1 runs overlapped in time, from the fleet log. #>
        $calls = @(Get-SimFleetCall | Where-Object { $_.Label -eq 'install-bundle.ps1' })
        $runs = foreach ($start in @($calls | Where-Object Event -eq 'start')) {
            $end = $calls | Where-Object { $_.Event -eq 'end' -and $_.Server -eq $start.Server } | Select-Object -First 1
            [pscustomobject]@{ Start = $start.Ticks; End = $end.Ticks }
        }
        $runs = @($runs)
        $count = 0
        for ($i = 0; $i -lt $runs.Count; $i++) {
            for ($j = $i + 1; $j -lt $runs.Count; $j++) {
                if ($runs[$i].Start -lt $runs[$j].End -and $runs[$j].Start -lt $runs[$i].End) { $count++ }
            }
        }
        return [pscustomobject]@{ Runs = $runs.Count; Overlapping = $count }
    }
}

Describe 'Deploy-WslPortProxy.ps1 on a simulated fleet of three servers' {
    BeforeEach { New-SimFleet -Name 'WEB-01', 'WEB-02', 'WEB-03' }
    AfterEach { Remove-SimFleet }

    It 'Given three fresh servers, installs each and records its manifest there; a re-run is all unchanged, nothing copied' {
        $result = Invoke-Deploy @{ TaskPassword = $script:Password }

        $result.ExitCode | Should -Be 0
        $result.Errors | Should -BeNullOrEmpty
        Get-Action $result | Should -Be @('WEB-01=installed', 'WEB-02=installed', 'WEB-03=installed')
        $result.Results | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'WslPortProxy.DeployResult'; $_.ExitCode | Should -Be 0 }
        $result.Results[0].Message | Should -Match '^First reconcile succeeded: '
        foreach ($name in 'WEB-01', 'WEB-02', 'WEB-03') {
            (Get-ServerRule $name)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            $installed = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/manifest.json'
            [System.IO.File]::ReadAllText($installed) | Should -BeExactly ([System.IO.File]::ReadAllText((Join-Path $script:Dist "$name/manifest.json")))
            Test-Path -LiteralPath (Join-Path $global:WslppSim.Root 'Temp/wsl-portproxy-bundle') | Should -BeFalse   # the copy is removed
        }

        Clear-SimFleetCall
        $again = Invoke-Deploy @{ TaskPassword = $script:Password }

        $again.ExitCode | Should -Be 0
        Get-Action $again | Should -Be @('WEB-01=unchanged', 'WEB-02=unchanged', 'WEB-03=unchanged')   # a re-run changes nothing
        $again.Results | ForEach-Object { $_.ExitCode | Should -BeNullOrEmpty }
        @(Get-SimFleetCall | Where-Object { $_.Event -eq 'copy' -or $_.Label -eq 'install-bundle.ps1' }) | Should -HaveCount 0
    }

    It 'Given one server already current, leaves it alone (nothing copied there) and installs the others' {
        Get-Action (Invoke-Deploy @{ TaskPassword = $script:Password; ComputerName = 'WEB-02' }) | Should -Be @('WEB-02=installed')
        Clear-SimFleetCall

        $result = Invoke-Deploy @{ TaskPassword = $script:Password }

        Get-Action $result | Should -Be @('WEB-01=installed', 'WEB-02=unchanged', 'WEB-03=installed')
        @(Get-SimFleetCall | Where-Object { $_.Server -eq 'WEB-02' -and ($_.Event -eq 'copy' -or $_.Label -eq 'install-bundle.ps1') }) | Should -HaveCount 0
        @(Get-SimFleetCall | Where-Object { $_.Event -eq 'copy' } | ForEach-Object Server) | Should -Be @('WEB-01', 'WEB-03')
    }

    It 'Given a newer bundle for an installed server, upgrades it' {
        Get-Action (Invoke-Deploy @{ TaskPassword = $script:Password; ComputerName = 'WEB-01' }) | Should -Be @('WEB-01=installed')
        Use-SimServer 'WEB-01'
        Set-Content -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/manifest.json') -Value '{"generator": "wsl-portproxy", "version": "0.1.0"}'

        Get-Action (Invoke-Deploy @{ TaskPassword = $script:Password; ComputerName = 'WEB-01' }) | Should -Be @('WEB-01=upgraded')
    }

    It 'Given one server cannot be reached, reports it failed, still installs the others, and exits 2 naming it' {
        $global:WslppFleet.Unreachable = @('WEB-03')

        $result = Invoke-Deploy @{ TaskPassword = $script:Password }

        $result.ExitCode | Should -Be 2
        Get-Action $result | Should -Be @('WEB-01=installed', 'WEB-02=installed', 'WEB-03=failed')
        $result.Results[2].ExitCode | Should -BeNullOrEmpty
        $result.Results[2].Message | Should -BeLike 'Connecting to remote server WEB-03 failed with the following error message : WinRM cannot complete the operation.*'
        $result.Errors | Should -HaveCount 1
        $result.Errors[0] | Should -BeLike 'Failed on 1 of 3 server(s): WEB-03 (Connecting to remote server WEB-03 failed*'
    }

    It 'Given one server''s installer fails, reports its exit code and message; the others are installed' {
        Use-SimServer 'WEB-02'
        Remove-SimWsl   # the preflight finds no WSL package: the installer exits 7 and installs nothing

        $result = Invoke-Deploy @{ TaskPassword = $script:Password }

        $result.ExitCode | Should -Be 2
        Get-Action $result | Should -Be @('WEB-01=installed', 'WEB-02=failed', 'WEB-03=installed')
        $result.Results[1].ExitCode | Should -Be 7
        $result.Results[1].Message | Should -BeLike 'Install-WslPortProxy.ps1 failed (exit code 7): This server cannot forward as the settings say, so nothing was installed.*'
        $result.Errors[0] | Should -BeLike 'Failed on 1 of 3 server(s): WEB-02 (Install-WslPortProxy.ps1 failed (exit code 7)*'
        Get-ServerRule 'WEB-02' | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/manifest.json') | Should -BeFalse   # so the next run tries again
    }

    It 'Given a boot task and no -TaskPassword, fails those servers before copying anything' {
        $result = Invoke-Deploy @{ ComputerName = 'WEB-01' }

        $result.ExitCode | Should -Be 2
        $result.Results[0].Action | Should -Be 'failed'
        $result.Results[0].Message | Should -BeExactly 'WEB-01 starts at boot: give -TaskPassword, the password of its task account'
        @(Get-SimFleetCall | Where-Object Event -eq 'copy') | Should -HaveCount 0
    }

    It '-ThrottleLimit 2 runs two installers at once' {
        (Invoke-Deploy @{ TaskPassword = $script:Password; ThrottleLimit = 2 }).ExitCode | Should -Be 0
        $two = Get-Overlap
        $two.Runs | Should -Be 3
        $two.Overlapping | Should -BeGreaterThan 0
        @(Get-SimFleetCall | Where-Object { $_.Event -eq 'session' }) | Should -HaveCount 3
    }

    It '-ThrottleLimit 1 runs the installers one after another' {
        (Invoke-Deploy @{ TaskPassword = $script:Password; ThrottleLimit = 1 }).ExitCode | Should -Be 0
        $one = Get-Overlap
        $one.Runs | Should -Be 3
        $one.Overlapping | Should -Be 0
    }

    It '-WhatIf shows the plan and copies, installs and changes nothing' {
        $result = Invoke-Deploy @{ TaskPassword = $script:Password; WhatIf = $true }

        $result.ExitCode | Should -Be 0
        Get-Action $result | Should -Be @('WEB-01=would install', 'WEB-02=would install', 'WEB-03=would install')
        @(Get-SimFleetCall | Where-Object { $_.Event -eq 'copy' -or $_.Label -eq 'install-bundle.ps1' }) | Should -HaveCount 0
        Get-ServerRule 'WEB-01' | Should -BeNullOrEmpty
    }

    It '-Status gathers every server''s ports into one table, with the unreachable one; exit 9 on a problem' {
        (Invoke-Deploy @{ TaskPassword = $script:Password }).ExitCode | Should -Be 0
        foreach ($name in 'WEB-01', 'WEB-02') {
            Use-SimServer $name
            Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(80); blocked = @() }
        }
        Use-SimServer 'WEB-02'
        Write-SimState 'network.json' @{ category = 'Public'; listening = @(); answering = @(80); blocked = @() }
        $global:WslppFleet.Unreachable = @('WEB-03')

        $result = Invoke-Deploy @{ Status = $true }

        $result.ExitCode | Should -Be 9
        $rows = $result.Results
        $rows | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'WslPortProxy.FleetStatus' }
        @($rows | ForEach-Object { "$($_.Server)|$($_.Port)|$($_.State)" }) | Should -Be @('WEB-01|0.0.0.0:80|ok', 'WEB-02|0.0.0.0:80|problem', 'WEB-03||unreachable')
        $rows[1].Problem | Should -BeExactly 'firewall inactive: the network is Public, the rule is for Domain, Private'
        $rows[2].Problem | Should -BeLike 'Connecting to remote server WEB-03 failed*'
    }

    It 'refuses a server name the fleet does not have, before connecting anywhere' {
        $result = Invoke-Deploy @{ ComputerName = 'MAIL-01' }
        $result.ExitCode | Should -Be 1
        $result.Errors | Should -Be @('Deploy-WslPortProxy.ps1 failed (exit code 1): No server named MAIL-01 in the fleet (it has: WEB-01, WEB-02, WEB-03).')
        @(Get-SimFleetCall) | Should -HaveCount 0
    }
}

Describe 'A logon task whose account is not logged on, installed through the fleet (over WinRM: a network logon)' {
    BeforeAll {
        $script:LogonDist = New-TestBundle -Inventory @'
defaults:
  run_as: CORP\svc-podman
  start: logon
  wait_for_wsl: 3s
  ports: [80]
servers:
  - name: WEB-01
'@
        $script:NextLogon = "*The task starts at CORP\svc-podman's next logon; its log: *"
    }

    It 'Deploy-WslPortProxy.ps1 (Publish-WslPortProxy) reports it installed with that message and records the manifest; a re-run leaves it alone' {
        New-SimFleet -Name 'WEB-01'
        try {
            Use-SimServer 'WEB-01'
            Set-SimLogonSession @{ 'CORP\svc-podman' = 3 }
            $deploy = Join-Path $script:LogonDist '_fleet/Deploy-WslPortProxy.ps1'
            $global:LASTEXITCODE = 0
            $output = @(& $deploy 2>&1 3>$null 6>$null)

            $LASTEXITCODE | Should -Be 0
            @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -HaveCount 0
            $output | Should -HaveCount 1
            $output[0].Action | Should -Be 'installed'
            $output[0].ExitCode | Should -Be 0
            $output[0].Message | Should -BeLike "Installed, not run yet: CORP\svc-podman is not logged on to this server $script:NextLogon"
            Use-SimServer 'WEB-01'
            [System.IO.File]::ReadAllText((Join-Path $global:WslppSim.ProgramData 'WslPortProxy/manifest.json')) |
                Should -BeExactly ([System.IO.File]::ReadAllText((Join-Path $script:LogonDist 'WEB-01/manifest.json')))
            (Read-SimState 'tasks.json')['\WslPortProxy\WslPortProxy'].State | Should -Be 'Ready'

            $global:LASTEXITCODE = 0
            $again = @(& $deploy 2>&1 3>$null 6>$null)
            $LASTEXITCODE | Should -Be 0
            $again[0].Action | Should -Be 'unchanged'
        }
        finally { Remove-SimFleet }
    }

    It 'files/install-bundle.ps1 (the Ansible playbook''s) returns exit 0 and that message, with no password' {
        New-SimulatedWindows -ComputerName 'WEB-01' | Out-Null
        try {
            Set-SimLogonSession @{ 'CORP\svc-podman' = 3 }
            $copy = Join-Path $global:WslppSim.Root 'Temp/wsl-portproxy-bundle'
            Copy-Item -LiteralPath (Join-Path $script:LogonDist 'WEB-01') -Destination $copy -Recurse

            $answer = @(& (Join-Path $script:LogonDist '_fleet/files/install-bundle.ps1') -BundlePath $copy)

            $answer | Should -HaveCount 1
            $answer[0].exit_code | Should -Be 0
            $answer[0].message | Should -BeLike "Installed, not run yet: *$script:NextLogon"
            Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/manifest.json') | Should -BeTrue
        }
        finally { Remove-SimulatedWindows }
    }
}

Describe 'The installer snippets of the Ansible playbooks, on the simulated Windows' {
    BeforeEach {
        New-SimulatedWindows -ComputerName 'WEB-01' | Out-Null
        $script:Copy = Join-Path $global:WslppSim.Root 'Temp/wsl-portproxy-bundle'
        Copy-Item -LiteralPath (Join-Path $script:Dist 'WEB-01') -Destination $script:Copy -Recurse
    }
    AfterEach { Remove-SimulatedWindows }

    It 'files/install-bundle.ps1 installs the copied bundle unattended with the task password, and returns exit 0' {
        $answer = @(& (Join-Path $script:Dist '_fleet/files/install-bundle.ps1') -BundlePath $script:Copy -Credential $script:TaskCredential)

        $answer | Should -HaveCount 1
        $answer[0].exit_code | Should -Be 0
        $answer[0].message | Should -Match '^First reconcile succeeded: '
        (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
        (Read-SimState 'tasks.json')['\WslPortProxy\WslPortProxy'].PasswordGiven | Should -BeTrue
    }

    It 'files/install-bundle.ps1 gives the password to no command as a parameter (module logging records them)' {
        $trace = Join-Path $TestDrive 'binding.log'
        Trace-Command -Name ParameterBinding -FilePath $trace -Expression {
            $script:Answer = @(& (Join-Path $script:Dist '_fleet/files/install-bundle.ps1') -BundlePath $script:Copy -Credential $script:TaskCredential)
        }
        $script:Answer[0].exit_code | Should -Be 0
        [System.IO.File]::ReadAllText($trace) | Should -Not -Match 'Corr3ct-Horse'
        (Read-SimState 'tasks.json')['\WslPortProxy\WslPortProxy'].PasswordSha256 | Should -Be 'ED37380A7A54B51E9CA828BA72B899E17CCDDE2B7749068FC6FBAA21E00982BA'
    }

    It 'files/install-bundle.ps1 returns the installer''s exit code and message when it fails' {
        [Environment]::SetEnvironmentVariable('COMPUTERNAME', 'WEB-99')
        $answer = @(& (Join-Path $script:Dist '_fleet/files/install-bundle.ps1') -BundlePath $script:Copy -Credential $script:TaskCredential)

        $answer | Should -HaveCount 1
        $answer[0].exit_code | Should -Be 3
        $answer[0].message | Should -BeExactly 'Install-WslPortProxy.ps1 failed (exit code 3): This bundle is for WEB-01, but this computer is WEB-99. Use the bundle generated for this computer, or -Force.'
        Get-SimPortProxy | Should -BeNullOrEmpty
    }

    It 'files/uninstall-bundle.ps1 runs the installed uninstaller and returns exit 0' {
        (& (Join-Path $script:Dist '_fleet/files/install-bundle.ps1') -BundlePath $script:Copy -Credential $script:TaskCredential).exit_code | Should -Be 0

        $answer = @(& (Join-Path $script:Dist '_fleet/files/uninstall-bundle.ps1') -InstallDirectory '%ProgramData%\WslPortProxy' -Purge $true)

        $answer[0].exit_code | Should -Be 0
        $answer[0].message | Should -BeExactly 'Removed 2 rule(s); task removed: True.'   # the portproxy rule and its firewall rule
        Get-SimPortProxy | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy') | Should -BeFalse
    }
}

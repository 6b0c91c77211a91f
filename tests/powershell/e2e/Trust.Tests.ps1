# The elevated task trusts only what administrators control (docs/security.md, "Inputs the task
# trusts"): the address WSL reports, the folders and programs it runs, the interop of the distribution.

BeforeAll {
    . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    $script:Bundle = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 2s
    ports: [80]
'@
    $script:LxssKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss'

    function Invoke-Update {
        <# The generated Update-WslPortProxy.ps1, unmodified, in its own process (as the task runs it). #>
        param([string[]] $Arguments = @())
        $script:LastRun = Invoke-SimEntryScript -Path (Join-Path $script:Bundle 'WEB-01/Update-WslPortProxy.ps1') `
            -Arguments $Arguments
        return $script:LastRun.ExitCode
    }
}

Describe 'The address WSL reports' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given eth0 at <Ip> (<Kind>), exits 11 naming the address and why, and changes nothing' -ForEach @(
        @{ Ip = '127.0.0.2'; Kind = 'loopback'; Why = 'a loopback address (127.0.0.0/8)' }
        @{ Ip = '169.254.169.254'; Kind = 'link-local'; Why = 'a link-local address (169.254.0.0/16)' }
        @{ Ip = '224.0.0.251'; Kind = 'multicast'; Why = 'a multicast address (224.0.0.0/4)' }
        @{ Ip = '0.0.0.0'; Kind = 'unspecified'; Why = 'not a unicast address (0.0.0.0/8)' }
        @{ Ip = '255.255.255.255'; Kind = 'broadcast'; Why = 'not a unicast address (240.0.0.0/4)' }
        @{ Ip = '10.9.8.7'; Kind = 'outside the NAT network'
            Why = 'outside the NAT network WSL set up (NatNetwork 172.28.0.0/16' }
    ) {
        Invoke-Update | Should -Be 0   # forwarding; then eth0 gets another address inside the distribution
        Set-SimPortProxy (@{ '0.0.0.0/80' = '172.28.241.140/80'; '0.0.0.0/3389' = '10.0.0.5/3389' })
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = $Ip } }
        Clear-SimCall
        $before = Get-SimSnapshot

        Invoke-Update | Should -Be 11

        Get-SimSnapshot | Should -Be $before
        Get-SimCall -Program 'netsh' | Should -BeNullOrEmpty
        Get-UpdateLog | Should -Match ([regex]::Escape("[ERROR] Failed (exit code 11): WSL's address $Ip is $Why"))
        Get-UpdateLog | Should -Match 'No rule was changed\.'
    }

    It 'Given eth0 inside the NAT network WSL set up, forwards to it' {
        Set-SimRegistry -Key $script:LxssKey -Name 'NatNetwork' -Value '172.28.240.0/20'
        Invoke-Update | Should -Be 0
        (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
    }

    It 'Given no NatNetwork (bridged mode, older WSL), forwards to a private address and refuses a public one' {
        Set-SimRegistry -Key $script:LxssKey -Name 'NatNetwork' -Value $null
        Invoke-Update | Should -Be 0
        (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'

        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '203.0.113.9' } }
        Invoke-Update | Should -Be 11
        (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
        Get-UpdateLog | Should -Match ([regex]::Escape("WSL's address 203.0.113.9 is not a private address " +
                '(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), and WSL recorded no NAT network'))
    }
}

Describe 'Folders, programs and modules: from what administrators control, not the task account''s environment' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given the task account''s SystemRoot, ProgramFiles and ProgramData pointing at its own folders, runs the system''s programs and writes the install folder' {
        if ($global:WslppSimOnWindows) { Set-ItResult -Skipped -Because 'the planted programs are POSIX shell scripts'; return }
        # HKCU\Environment, which the account's unelevated processes (and a distribution, through interop)
        # can write, becomes the task's environment at its next start (the SilentCleanup technique).
        $evil = Join-Path $global:WslppSim.Root 'Users/svc-podman/planted'
        $marker = Join-Path $evil 'ran.log'
        $programs = 'Windows/System32/netsh.exe', 'Windows/System32/whoami.exe', 'Windows/System32/wsl.exe',
            'Windows/System32/taskkill.exe', 'Windows/System32/icacls.exe', 'Program Files/WSL/wsl.exe',
            'Program Files/RedHat/Podman/podman.exe', 'Program Files/Podman/podman.exe'
        foreach ($program in $programs) {
            $path = Join-Path $evil $program
            New-Item -ItemType Directory -Path (Split-Path $path) -Force | Out-Null
            Set-Content -LiteralPath $path -Value "#!/bin/sh`necho `"`$0 `$*`" >> '$marker'`nexit 1`n" -NoNewline
            & chmod +x $path
        }
        New-Item -ItemType Directory -Path (Join-Path $evil 'ProgramData') | Out-Null
        $planted = @{
            SystemRoot = Join-Path $evil 'Windows'; ProgramFiles = Join-Path $evil 'Program Files'
            ProgramData = Join-Path $evil 'ProgramData'
        }
        $saved = @{}
        foreach ($name in $planted.Keys) {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
            [Environment]::SetEnvironmentVariable($name, $planted[$name])
        }
        try { $code = Invoke-Update }
        finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }

        Test-Path -LiteralPath $marker | Should -BeFalse -Because "no planted program may run: $(Get-Content -LiteralPath $marker -Raw -ErrorAction SilentlyContinue)"
        @(Get-ChildItem -LiteralPath (Join-Path $evil 'ProgramData') -Force) | Should -BeNullOrEmpty
        $code | Should -Be 0
        (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
        Get-UpdateLog | Should -Match 'Run started'
    }

    It 'loads the modules it needs from the system''s module folder, not from the task account''s own' {
        if ($global:WslppSimOnWindows) { Set-ItResult -Skipped -Because 'XDG_DATA_HOME names the user module folder of pwsh on Linux only'; return }
        # pwsh on Linux puts $XDG_DATA_HOME/powershell/Modules first, as Windows PowerShell puts
        # Documents\WindowsPowerShell\Modules first: a folder the task's account writes.
        $own = Join-Path $global:WslppSim.Root 'Users/svc-podman/data'
        New-Item -ItemType Directory -Path (Join-Path $own 'powershell/Modules/NetTCPIP') -Force | Out-Null
        $saved = $env:XDG_DATA_HOME
        $env:XDG_DATA_HOME = $own
        try { $code = Invoke-Update }
        finally { $env:XDG_DATA_HOME = $saved }

        $code | Should -Be 0
        Get-SimCall -Program 'module' | Should -BeNullOrEmpty
        Get-SimCall -Program 'cim' | Should -Not -BeNullOrEmpty   # Get-NetIPAddress ran
    }

    It 'The installer and the uninstaller, elevated too, load modules from the system''s module folder, not from the admin''s own' {
        if ($global:WslppSimOnWindows) { Set-ItResult -Skipped -Because 'XDG_DATA_HOME names the user module folder of pwsh on Linux only'; return }
        $own = Join-Path $global:WslppSim.Root 'Users/admin/data'
        New-Item -ItemType Directory -Path (Join-Path $own 'powershell/Modules/NetTCPIP') -Force | Out-Null
        New-Item -ItemType Directory -Path (Join-Path $own 'powershell/Modules/ScheduledTasks') -Force | Out-Null
        $saved = $env:XDG_DATA_HOME
        $env:XDG_DATA_HOME = $own
        try {
            $preflight = Invoke-SimEntryScript -Path (Join-Path $script:Bundle 'WEB-01/Install-WslPortProxy.ps1') -Arguments @('-Preflight')
            $uninstall = Invoke-SimEntryScript -Path (Join-Path $script:Bundle 'WEB-01/Uninstall-WslPortProxy.ps1') -Arguments @('-WhatIf')
        }
        finally { $env:XDG_DATA_HOME = $saved }

        $uninstall.ExitCode | Should -Be 0 -Because ($uninstall.Output -join ' ')
        Get-SimCall -Program 'module' | Should -BeNullOrEmpty -Because ($preflight.Output -join ' ')
        Get-SimCall -Program 'cim' | Should -Not -BeNullOrEmpty   # Get-NetIPAddress ran
    }
}

Describe 'The registered task' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }
    AfterAll { Get-Module -Name 'WslPortProxy' | Remove-Module -Force }   # the installer imported the bundle's copy

    It 'holds absolute paths resolved at install time in its Command and Arguments, no %VARIABLE%' {
        $logon = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    start: logon
    wait_for_wsl: 2s
    ports: [80]
'@
        $global:LASTEXITCODE = 0
        & (Join-Path $logon 'WEB-01/Install-WslPortProxy.ps1') *> $null
        $LASTEXITCODE | Should -Be 0

        $exec = ([xml] (Read-SimState 'tasks.json')['\WslPortProxy\WslPortProxy'].Xml).Task.Actions.Exec
        $powershell = Join-Path (Join-Path (Join-Path (Join-Path $global:WslppSim.SystemRoot 'System32') 'WindowsPowerShell') 'v1.0') 'powershell.exe'
        $exec.Command | Should -Be $powershell
        $script = Join-Path (Join-Path $global:WslppSim.ProgramData 'WslPortProxy') 'Update-WslPortProxy.ps1'
        $exec.Arguments | Should -Be "-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$script`" -Watch"
        "$($exec.Command) $($exec.Arguments)" | Should -Not -Match '%'
    }
}

Describe '-Preflight and the distribution''s interop' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'warns when interop is on in the running distribution, says how to turn it off, and is quiet when it is off' {
        $install = Join-Path $script:Bundle 'WEB-01/Install-WslPortProxy.ps1'
        $run = Invoke-SimEntryScript -Path $install -Arguments '-Preflight'
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $said = "Interop is on in WSL distribution 'podman-machine-default': its Linux processes can start Windows " +
            'programs as CORP\svc-podman, elevated when the task started the distribution'
        ($run.Output -replace '\s', '') | Should -Match ([regex]::Escape(($said -replace '\s', '')))
        ($run.Output -replace '\s', '') | Should -Match ([regex]::Escape('[interop]enabled=false'))
        Get-SimCall -Program 'wsl' | Should -Be @('wsl --list --running --quiet',
            'wsl --distribution podman-machine-default --exec sh -c if [ -n "$WSL_INTEROP" ]; then echo interop-on; else echo interop-off; fi')

        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.241.140'; interop = $false } }
        $run = Invoke-SimEntryScript -Path $install -Arguments '-Preflight'
        $run.ExitCode | Should -Be 0
        $run.Output | Should -Match 'WSL interop'
        $run.Output | Should -Not -Match 'Interop is on'
    }

    It 'does not start a stopped distribution to look: it says interop was not checked' {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.241.140'; stopped = $true } }
        $run = Invoke-SimEntryScript -Path (Join-Path $script:Bundle 'WEB-01/Install-WslPortProxy.ps1') -Arguments '-Preflight'
        $run.ExitCode | Should -Be 0
        ($run.Output -replace '\s', '') | Should -Match ([regex]::Escape(("Interop was not checked: WSL distribution 'podman-machine-default' is not running for CORP\svc-podman" -replace '\s', '')))
        Get-SimCall -Program 'wsl' | Should -Be @('wsl --list --running --quiet')
    }
}

# Unit tests: installing and removing (Private/Install.ps1) and the four exported commands (Public/).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    $script:Dist = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 2s
    ports: [80]
'@
    $script:Bundle = Join-Path $script:Dist 'WEB-01'
    $script:Settings = Join-Path $script:Bundle 'WslPortProxy.Settings.psd1'
    function global:New-UnitCredential {
        param([string] $User = 'CORP\svc-podman')
        New-Object System.Management.Automation.PSCredential -ArgumentList $User, (ConvertTo-SecureString 'pw' -AsPlainText -Force)
    }
}

Describe 'Get-BundleProblem' {
    It 'finds nothing wrong with a generated bundle' {
        InModuleScope WslPortProxy -Parameters @{ Bundle = $script:Bundle } {
            param($Bundle)
            @(Get-BundleProblem -BundlePath $Bundle) | Should -HaveCount 0
            @(Get-BundleFile -BundlePath $Bundle) | Should -Contain 'WslPortProxy/Private/Wsl.ps1'
        }
    }

    It 'names a changed, a missing and an unlisted file' {
        $copy = Join-Path $TestDrive 'bundle'
        Copy-Item -LiteralPath $script:Bundle -Destination $copy -Recurse
        Add-Content -LiteralPath (Join-Path $copy 'WslPortProxy/Private/Wsl.ps1') -Value '# changed'
        Remove-Item -LiteralPath (Join-Path $copy 'README.txt')
        $manifest = Get-Content -Raw -LiteralPath (Join-Path $copy 'manifest.json') | ConvertFrom-Json
        $manifest.files.PSObject.Properties.Remove('Uninstall-WslPortProxy.ps1')
        $manifest | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $copy 'manifest.json')
        InModuleScope WslPortProxy -Parameters @{ Bundle = $copy } {
            param($Bundle)
            @(Get-BundleProblem -BundlePath $Bundle) | Should -Be @('Uninstall-WslPortProxy.ps1 is not listed', 'README.txt is missing', 'WslPortProxy/Private/Wsl.ps1 was changed')
        }
        Remove-Item -LiteralPath (Join-Path $copy 'manifest.json')
        InModuleScope WslPortProxy -Parameters @{ Bundle = $copy } {
            param($Bundle)
            @(Get-BundleProblem -BundlePath $Bundle)[0] | Should -BeLike 'manifest.json or the module manifest cannot be read (*'
        }
    }
}

Describe 'The task account and its password' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Get-TaskAccount: <RunAs> runs as <Account>' -ForEach @(
        @{ RunAs = ''; Account = 'CORP\svc-podman' }, @{ RunAs = '.\podman'; Account = 'WEB-01\podman' }, @{ RunAs = 'svc@corp.example'; Account = 'svc@corp.example' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ RunAs = $RunAs; Account = $Account } {
            param($RunAs, $Account)
            Get-TaskAccount -RunAs $RunAs | Should -Be $Account
        }
    }

    It 'Get-TaskCredential takes -Credential, asks otherwise, and refuses a wrong or cancelled one (exit 5)' {
        InModuleScope WslPortProxy {
            (Get-TaskCredential -Account 'CORP\svc-podman' -Credential (New-UnitCredential)).GetNetworkCredential().Password | Should -Be 'pw'
            { Get-TaskCredential -Account 'CORP\svc-podman' -Credential (New-UnitCredential -User 'CORP\x') } |
                Should -Throw -ErrorId 'WslPortProxy.WrongCredential' -ExpectedMessage 'The credential is for CORP\x, but the task runs as CORP\svc-podman.'
            { Get-TaskCredential -Account 'CORP\svc-podman' -Credential $null } | Should -Throw -ErrorId 'WslPortProxy.NoCredential'
        }
        Write-SimState 'credential.json' @{ Password = 'typed' }
        InModuleScope WslPortProxy { (Get-TaskCredential -Account 'CORP\svc-podman' -Credential $null).GetNetworkCredential().Password | Should -Be 'typed' }
        @(Get-SimCall -Program 'cmdlet') | Should -Be @('cmdlet Get-Credential CORP\svc-podman', 'cmdlet Get-Credential CORP\svc-podman')
    }

    It 'Register-TaskWithPassword registers through Schedule.Service (creating the folder once), with TASK_LOGON_PASSWORD' {
        InModuleScope WslPortProxy {
            $xml = '<Task xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task"/>'
            Register-TaskWithPassword -Xml $xml -Credential (New-UnitCredential) -WhatIf
            Register-TaskWithPassword -Xml $xml -Credential (New-UnitCredential)
            Register-TaskWithPassword -Xml $xml -Credential (New-UnitCredential)
        }
        @(Get-SimCall -Program 'cmdlet COM') | Should -Be @('cmdlet COM Schedule.Service', 'cmdlet COM CreateFolder \WslPortProxy',
            'cmdlet COM RegisterTask \WslPortProxy\WslPortProxy flags 6 user CORP\svc-podman logonType 1', 'cmdlet COM Schedule.Service',
            'cmdlet COM RegisterTask \WslPortProxy\WslPortProxy flags 6 user CORP\svc-podman logonType 1')
        (Read-SimState 'tasks.json')['\WslPortProxy\WslPortProxy'].PasswordSha256 | Should -Be '30C952FAB122C3F9759F02A6D95C3758B246B4FEE239957B2D4FEE46E26170C4'
    }
}

Describe 'The install folder' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Copy-BundleFile locks the folder first, replaces an old module whole and copies what the task needs' {
        $target = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Target = $target } {
            param($Target)
            New-InstallDirectory -Path $Target -Account 'CORP\svc-podman'   # an earlier install's folder (4 icacls calls)
        }
        New-Item -ItemType Directory -Path (Join-Path $target 'WslPortProxy/Old') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $target 'WslPortProxy/Old/Stale.ps1') -Value 'old'
        InModuleScope WslPortProxy -Parameters @{ Bundle = $script:Bundle; Target = $target } {
            param($Bundle, $Target)
            Copy-BundleFile -BundlePath $Bundle -Destination $Target -Account 'CORP\svc-podman'
        }
        @(Get-ChildItem -LiteralPath $global:WslppSim.ProgramData -Force | ForEach-Object Name) | Should -Be @('WslPortProxy')   # kept, not moved aside
        Test-Path -LiteralPath (Join-Path $target 'WslPortProxy/Old') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $target 'Install-WslPortProxy.ps1') | Should -BeFalse
        (Get-FileHash (Join-Path $target 'WslPortProxy/Public/Update-WslPortProxy.ps1')).Hash |
            Should -Be (Get-FileHash (Join-Path $script:Bundle 'WslPortProxy/Public/Update-WslPortProxy.ps1')).Hash
        (Read-SimState 'icacls.json').Count | Should -Be 4   # none for a folder kept as it was
    }

    It 'Given -WhatIf, copies nothing and sets no ACL' {
        $target = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        InModuleScope WslPortProxy -Parameters @{ Bundle = $script:Bundle; Target = $target } {
            param($Bundle, $Target)
            Copy-BundleFile -BundlePath $Bundle -Destination $Target -Account 'CORP\svc-podman' -WhatIf
        }
        Test-Path -LiteralPath $target | Should -BeFalse
        Read-SimState 'icacls.json' | Should -BeNullOrEmpty
    }

    It 'Invoke-Icacls fails loudly when icacls does' {
        InModuleScope WslPortProxy {
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 5; Output = @('Access is denied.') } }
            { Invoke-Icacls -ArgumentList @('x', '/reset') } | Should -Throw -ErrorId 'WslPortProxy.IcaclsFailed' -ExpectedMessage 'icacls.exe x /reset failed (exit 5): Access is denied.'
        }
    }

    It 'Remove-InstallDirectory keeps logs unless Purge' {
        $target = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        New-Item -ItemType Directory -Path (Join-Path $target 'logs') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $target 'state.json') -Value '{}'
        InModuleScope WslPortProxy -Parameters @{ Target = $target } { param($Target) Remove-InstallDirectory -Path $Target }
        @(Get-ChildItem -LiteralPath $target | ForEach-Object { $_.Name }) | Should -Be @('logs')
        InModuleScope WslPortProxy -Parameters @{ Target = $target } { param($Target) Remove-InstallDirectory -Path $Target -Purge }
        Test-Path -LiteralPath $target | Should -BeFalse
        InModuleScope WslPortProxy -Parameters @{ Target = $target } { param($Target) Remove-InstallDirectory -Path $Target }
    }
}

Describe 'The task and the event source' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Get-TaskXml fills in the installing account when the settings name none' {
        $dist = New-TestBundle -Inventory "servers:`n  - {name: WEB-01, start: logon, ports: [80]}`n"
        InModuleScope WslPortProxy -Parameters @{ Bundle = (Join-Path $dist 'WEB-01') } {
            param($Bundle)
            $xml = [xml] (Get-TaskXml -BundlePath $Bundle -Account 'CORP\admin')
            $xml.Task.Principals.Principal.UserId | Should -Be 'CORP\admin'
            $xml.Task.Triggers.LogonTrigger.UserId | Should -Be 'CORP\admin'
        }
    }

    It 'ConvertTo-AbsoluteTaskAction writes powershell.exe and the install folder''s script as absolute paths' {
        $dist = New-TestBundle -Inventory "servers:`n  - {name: WEB-01, start: logon, ports: [80]}`n"
        InModuleScope WslPortProxy -Parameters @{ Bundle = (Join-Path $dist 'WEB-01') } {
            param($Bundle)
            $text = Get-TaskXml -BundlePath $Bundle -Account 'CORP\admin'
            ([xml] $text).Task.Actions.Exec.Command | Should -Match '^%SystemRoot%'
            $folder = Join-Path $TestDrive 'Wsl Proxy'
            $exec = ([xml] (ConvertTo-AbsoluteTaskAction -Xml $text -InstallDirectory $folder)).Task.Actions.Exec
            $exec.Command | Should -Be (Join-Path (Join-Path (Get-System32Path -Name 'WindowsPowerShell') 'v1.0') 'powershell.exe')
            $exec.Arguments | Should -BeLike ('* -File "{0}" -Watch' -f (Join-Path $folder 'Update-WslPortProxy.ps1'))
            $bad = $text.Replace('-NoProfile', '-NoProfile -Command %TEMP%')
            { ConvertTo-AbsoluteTaskAction -Xml $bad -InstallDirectory $folder } | Should -Throw -ErrorId 'WslPortProxy.TaskActionNotAbsolute'
        }
    }

    It 'Register-PortProxyTask stops a running watcher, asks for the password only for a boot task, and not under -WhatIf' {
        InModuleScope WslPortProxy -Parameters @{ Bundle = $script:Bundle } {
            param($Bundle)
            $xml = Get-TaskXml -BundlePath $Bundle -Account 'CORP\svc-podman'
            Mock Get-TaskCredential { New-UnitCredential }
            Register-PortProxyTask -Xml $xml -Account 'CORP\svc-podman' -StartAtBoot -WhatIf
            Should -Invoke Get-TaskCredential -Times 0 -Exactly
            Register-PortProxyTask -Xml $xml -Account 'CORP\svc-podman' -StartAtBoot
            Should -Invoke Get-TaskCredential -Times 1 -Exactly
            $script:polls = 0
            Mock Get-ScheduledTask { $script:polls++; [pscustomobject]@{ State = @('Running', 'Running', 'Ready')[[Math]::Min($script:polls, 3) - 1] } }
            Mock Stop-ScheduledTask { }
            Mock Start-Sleep { }
            Register-PortProxyTask -Xml $xml -Account 'CORP\svc-podman'
            Should -Invoke Stop-ScheduledTask -Times 1 -Exactly
            Should -Invoke Get-ScheduledTask -Times 3 -Exactly   # asked again until the old instance stopped
        }
        (Read-SimState 'tasks.json')['\WslPortProxy\WslPortProxy'].PasswordGiven | Should -BeFalse   # the last one was a logon task
    }

    It 'ConvertTo-RegistrationFailure explains the three refused-password codes and passes anything else on' {
        InModuleScope WslPortProxy {
            $comError = New-Object System.Runtime.InteropServices.COMException 'Die Anmeldung ist fehlgeschlagen.', -2147023570
            try { throw $comError } catch { $converted = ConvertTo-RegistrationFailure -ErrorRecord $_ -Account 'CORP\svc' }
            $converted.FullyQualifiedErrorId | Should -Be 'WslPortProxy.WrongPassword' -Because 'the HRESULT counts, not the language of the message'
            foreach ($case in @(@('x (Exception from HRESULT: 0x80070520)', 'WslPortProxy.PasswordStorageDisabled'),
                    @('x (Exception from HRESULT: 0x80070569)', 'WslPortProxy.BatchLogonDenied'))) {
                try { throw $case[0] } catch { $converted = ConvertTo-RegistrationFailure -ErrorRecord $_ -Account 'CORP\svc' }
                $converted.FullyQualifiedErrorId | Should -Be $case[1]
                Get-FailureExitCode -ErrorRecord $converted | Should -Be 5
            }
            try { throw 'The task XML is malformed.' } catch { $other = ConvertTo-RegistrationFailure -ErrorRecord $_ -Account 'CORP\svc' }
            $other.Exception.Message | Should -Be 'The task XML is malformed.'
        }
    }

    It 'Start-FirstRun returns the watcher''s first result, or the task''s when it ended, or fails after the timeout' {
        InModuleScope WslPortProxy {
            Mock Start-ScheduledTask { }
            Mock Get-ScheduledTaskInfo { [pscustomobject]@{ LastRunTime = 'before'; LastTaskResult = 267011 } }
            Mock Get-ScheduledTask { [pscustomobject]@{ State = 'Running' } }
            { Start-FirstRun -Directory $TestDrive -TimeoutSeconds 1 } | Should -Throw -ErrorId 'WslPortProxy.FirstRunTimeout'
            Mock Start-ScheduledTask { Save-RunResult -Directory $TestDrive -ExitCode 0 -Message 'Applied.' }
            (Start-FirstRun -Directory $TestDrive -TimeoutSeconds 5).Message | Should -Be 'Applied.'
            Remove-Item -LiteralPath (Join-Path $TestDrive 'last-run.json')
            $script:infos = 0
            Mock Start-ScheduledTask { }
            Mock Get-ScheduledTaskInfo { $script:infos++; [pscustomobject]@{ LastRunTime = "run $script:infos"; LastTaskResult = 1 } }
            Mock Get-ScheduledTask { [pscustomobject]@{ State = 'Ready' } }
            $ended = Start-FirstRun -Directory $TestDrive -TimeoutSeconds 5
            $ended.ExitCode | Should -Be 1
            $ended.Message | Should -Be 'the task ended'
            Start-FirstRun -Directory $TestDrive -TimeoutSeconds 5 -WhatIf | Should -BeNullOrEmpty
        }
    }

    It 'Start-FirstRun, for a logon task: <Case>' -ForEach @(
        @{ Case = 'the account has no interactive session: the task is not started'; Logon = $false; State = 'Ready'; Started = $false; Starts = 0; Message = 'CORP\svc is not logged on to this server' }
        @{ Case = 'cannot tell, and Task Scheduler does not start it: not started'; Logon = $null; State = 'Ready'; Started = $false; Starts = 1; Message = 'Task Scheduler did not start the task within 1 seconds, so CORP\svc is probably not logged on to this server' }
        @{ Case = 'cannot tell, and it runs: its first result'; Logon = $null; State = 'Running'; Started = $true; Starts = 1; Message = 'Applied.' }
        @{ Case = 'logged on: its first result'; Logon = $true; State = 'Running'; Started = $true; Starts = 1; Message = 'Applied.' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Logon = $Logon; State = $State; Started = $Started; Starts = $Starts; Message = $Message } {
            param($Logon, $State, $Started, $Starts, $Message)
            Mock Test-InteractiveLogon { $Logon }
            Mock Start-ScheduledTask { if ($State -eq 'Running') { Save-RunResult -Directory $TestDrive -ExitCode 0 -Message 'Applied.' } }
            Mock Get-ScheduledTaskInfo { [pscustomobject]@{ LastRunTime = 'never'; LastTaskResult = 267011 } }
            Mock Get-ScheduledTask { [pscustomobject]@{ State = $State } }
            $result = Start-FirstRun -Directory $TestDrive -TimeoutSeconds 30 -LogonAccount 'CORP\svc' -StartSeconds 1
            $result.Started | Should -Be $Started
            $result.Message | Should -Be $Message
            Should -Invoke Start-ScheduledTask -Times $Starts -Exactly
            Should -Invoke Test-InteractiveLogon -Times 1 -Exactly -ParameterFilter { $Account -eq 'CORP\svc' }
        }
        Remove-Item -LiteralPath (Join-Path $TestDrive 'last-run.json') -ErrorAction SilentlyContinue
    }

    It 'Test-InteractiveLogon: <Account> with <Case> is <Expected>' -ForEach @(
        @{ Case = 'nobody logged on'; Session = @{}; Account = 'CORP\svc-podman'; Expected = $false }
        @{ Case = 'it at the console'; Session = @{ 'CORP\svc-podman' = 2 }; Account = 'CORP\svc-podman'; Expected = $true }
        @{ Case = 'it at the console (another case)'; Session = @{ 'CORP\svc-podman' = 2 }; Account = 'corp\SVC-Podman'; Expected = $true }
        @{ Case = 'it over Remote Desktop'; Session = @{ 'CORP\svc-podman' = 10 }; Account = 'CORP\svc-podman'; Expected = $true }
        @{ Case = 'it over WinRM, another at the console'; Session = @{ 'CORP\svc-podman' = 3; 'CORP\admin' = 2 }; Account = 'CORP\svc-podman'; Expected = $false }
        @{ Case = 'a local account at the console'; Session = @{ 'WEB-01\podman' = 2 }; Account = 'WEB-01\podman'; Expected = $true }
        @{ Case = 'the same user name, another domain spelling'; Session = @{ 'CORP\svc-podman' = 2 }; Account = 'corp.example\svc-podman'; Expected = $null }
        @{ Case = 'a UPN'; Session = @{ 'CORP\svc-podman' = 2 }; Account = 'svc-podman@corp.example'; Expected = $null }
    ) {
        Set-SimLogonSession $Session
        InModuleScope WslPortProxy -Parameters @{ Account = $Account; Expected = $Expected } {
            param($Account, $Expected)
            $answer = Test-InteractiveLogon -Account $Account
            if ($null -eq $Expected) { $answer | Should -BeNullOrEmpty } else { $answer | Should -BeExactly $Expected }
        }
    }

    It 'Test-InteractiveLogon cannot tell when the query fails' {
        InModuleScope WslPortProxy {
            Mock Get-CimInstance { throw 'The RPC server is unavailable.' }
            Test-InteractiveLogon -Account 'CORP\svc-podman' | Should -BeNullOrEmpty
        }
        Get-SimCall -Program 'cim' | Should -BeNullOrEmpty
    }

    It 'registers and removes the event source, and warns where PowerShell 7 has no New-EventLog' {
        InModuleScope WslPortProxy { Register-EventSource }
        (Read-SimState 'eventsources.json')['WslPortProxy'] | Should -Be 'Application'
        InModuleScope WslPortProxy { Unregister-EventSource }
        (Read-SimState 'eventsources.json').ContainsKey('WslPortProxy') | Should -BeFalse
        InModuleScope WslPortProxy {
            Mock Get-Command { $null } -ParameterFilter { $Name -eq 'New-EventLog' }
            Register-EventSource -WarningVariable warnings -WarningAction SilentlyContinue
            "$($warnings[0])" | Should -BeLike 'New-EventLog is not available (PowerShell 7)*'
        }
    }

    It 'Unregister-PortProxyTask says whether there was a task' {
        InModuleScope WslPortProxy { Unregister-PortProxyTask | Should -BeFalse }
        $null = Register-ScheduledTask -TaskName 'WslPortProxy' -TaskPath '\WslPortProxy\' -Xml '<Task/>' -User 'x'
        InModuleScope WslPortProxy { Unregister-PortProxyTask | Should -BeTrue }
        (Read-SimState 'tasks.json').Count | Should -Be 0
    }
}

Describe 'The exported commands' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Update-WslPortProxy reconciles once and returns a RunResult; -WhatIf writes no log' {
        $result = Update-WslPortProxy -Settings $script:Settings
        $result.Message | Should -Be 'Applied: 2 rule(s) written, 0 removed.'
        $logs = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/logs/Update-WslPortProxy.log'
        $before = (Get-Content -LiteralPath $logs).Count
        (Update-WslPortProxy -Settings $script:Settings -WhatIf).Message | Should -Be 'No change: every rule is already right.'
        (Get-Content -LiteralPath $logs).Count | Should -Be $before
        (Update-WslPortProxy -Settings $script:Settings -Remove).Removed | Should -Be 2
    }

    It 'Update-WslPortProxy -Remove works without wsl.exe' {
        Remove-SimWsl
        (Update-WslPortProxy -Settings $script:Settings -Remove -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } |
                ForEach-Object { "$_" }) | Should -Contain ("No wsl.exe, so no keep-alive to stop: wsl.exe was not found (looked in " +
                "$(Join-Path (Join-Path $env:ProgramFiles 'WSL') 'wsl.exe') and $(Join-Path (Join-Path $env:SystemRoot 'System32') 'wsl.exe')). Install WSL 2.0 or later for all users.")
    }

    It 'Update-WslPortProxy fails with an ErrorId and the exit code in the exception' {
        Set-SimWsl @{ 'Ubuntu' = @{ ip = '172.28.1.1' } }
        $caught = $null
        try { Update-WslPortProxy -Settings $script:Settings } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'WslPortProxy.DistroNotFound,Update-WslPortProxy'
        $caught.Exception.Data['WslPortProxyExitCode'] | Should -Be 3
    }

    It 'Update-WslPortProxy -Watch runs the watcher' {
        InModuleScope WslPortProxy {
            Mock Invoke-Watch { }
            Update-WslPortProxy -Settings (New-TestSettings) -Watch | Should -BeNullOrEmpty
            Should -Invoke Invoke-Watch -Times 1 -Exactly
        }
    }

    It 'Get-WslPortProxyStatus returns one PortStatus per port, and says so when WSL has no address' {
        $null = Update-WslPortProxy -Settings $script:Settings
        Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(80); blocked = @() }
        $rows = @(Get-WslPortProxyStatus -Settings $script:Settings)
        $rows | Should -HaveCount 1
        $rows[0].PSObject.TypeNames | Should -Contain 'WslPortProxy.PortStatus'
        $rows[0].Ok | Should -BeTrue
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = $null } }
        $row = Get-WslPortProxyStatus -Settings $script:Settings -WarningAction SilentlyContinue
        $row.Target | Should -BeNullOrEmpty
        $row.Problem | Should -Be 'WSL has no address; portproxy rule stale (points at 172.28.241.140/80)'
    }

    It 'Get-WslPortProxyStatus reads the portproxy rules once, for auto_ports and for the checks' {
        $null = Update-WslPortProxy -Settings $script:Settings
        Mock -ModuleName WslPortProxy Get-PortProxyRule { @{ '0.0.0.0/80' = '172.28.9.9/80' } }
        $row = Get-WslPortProxyStatus -Settings $script:Settings -WarningAction SilentlyContinue
        $row.Rule | Should -Be 'stale (points at 172.28.9.9/80)'   # the checks saw that one read
        Should -Invoke -ModuleName WslPortProxy Get-PortProxyRule -Times 1 -Exactly
    }

    It 'Install-WslPortProxy refuses: <Case>' -ForEach @(
        @{ Case = 'no bundle folder for a settings table'; Scene = {}; Arguments = @{ Settings = 'table' }; Id = 'NoBundlePath'; Code = 1 }
        @{ Case = 'not elevated'; Scene = { Write-SimState 'whoami.json' @{ elevated = $false } }; Arguments = @{}; Id = 'NotElevated'; Code = 2 }
        @{ Case = 'another computer'; Scene = { $env:COMPUTERNAME = 'DB-02' }; Arguments = @{}; Id = 'WrongComputer'; Code = 3 }
    ) {
        & $Scene
        $splat = @{ Settings = $script:Settings; Credential = (New-UnitCredential) }
        if ($Arguments.ContainsKey('Settings')) { $splat.Settings = New-TestSettings }
        $caught = $null
        try { Install-WslPortProxy @splat } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be "WslPortProxy.$Id,Install-WslPortProxy"
        $caught.Exception.Data['WslPortProxyExitCode'] | Should -Be $Code
        (Read-SimState 'tasks.json').Count | Should -Be 0
    }

    It 'Install-WslPortProxy installs and reports the first run; -WhatIf does nothing' {
        $whatIf = Install-WslPortProxy -Settings $script:Settings -Credential (New-UnitCredential) -WhatIf
        $whatIf.FirstRun | Should -BeNullOrEmpty
        (Read-SimState 'tasks.json').Count | Should -Be 0
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Start-FirstRun { [pscustomobject]@{ Started = $true; ExitCode = 0; Message = 'Applied: 2 rule(s) written, 0 removed.' } }
            $result = Install-WslPortProxy -Settings $Settings -Credential (New-UnitCredential)
            $result.PSObject.TypeNames | Should -Contain 'WslPortProxy.InstallResult'
            $result.FirstRun | Should -BeLike 'First reconcile succeeded: Applied: 2 rule(s) written, 0 removed. The task keeps watching. Log: *'
            Should -Invoke Start-FirstRun -ParameterFilter { $LogonAccount -eq '' }   # a boot task
            Mock Start-FirstRun { [pscustomobject]@{ Started = $true; ExitCode = 4; Message = 'no address' } }
            { Install-WslPortProxy -Settings $Settings -Credential (New-UnitCredential) } | Should -Throw -ErrorId 'WslPortProxy.FirstRunFailed,Install-WslPortProxy'
        }
    }

    It 'Install-WslPortProxy, for a logon task whose account is not logged on: warns that it starts at the next logon, says so in FirstRun and records the manifest' {
        $dist = New-TestBundle -Inventory "servers:`n  - {name: WEB-01, run_as: 'CORP\svc-podman', start: logon, ports: [80]}`n"
        $settings = Join-Path $dist 'WEB-01/WslPortProxy.Settings.psd1'
        InModuleScope WslPortProxy -Parameters @{ Settings = $settings } {
            param($Settings)
            Mock Start-FirstRun { [pscustomobject]@{ Started = $false; ExitCode = $null; Message = 'CORP\svc-podman is not logged on to this server' } }
            $result = Install-WslPortProxy -Settings $Settings -WarningVariable warnings -WarningAction SilentlyContinue
            $result.FirstRun | Should -BeLike "Installed, not run yet: CORP\svc-podman is not logged on to this server (at the console or over Remote Desktop), and a logon task runs only in its account's session. The task starts at CORP\svc-podman's next logon; its log: *Update-WslPortProxy.log"
            @($warnings | ForEach-Object { "$_" }) | Should -Contain $result.FirstRun
            Should -Invoke Start-FirstRun -Times 1 -Exactly -ParameterFilter { $LogonAccount -eq 'CORP\svc-podman' }
        }
        Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/manifest.json') | Should -BeTrue
    }

    It 'Uninstall-WslPortProxy removes the task and the rules, and reports what it did' {
        $null = Update-WslPortProxy -Settings $script:Settings
        $null = Register-ScheduledTask -TaskName 'WslPortProxy' -TaskPath '\WslPortProxy\' -Xml '<Task/>' -User 'x'
        $result = Uninstall-WslPortProxy -Settings $script:Settings -Purge
        $result.TaskRemoved | Should -BeTrue
        $result.RulesRemoved | Should -Be 2
        $result.LogsKept | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy') | Should -BeFalse
    }

    It 'Uninstall-WslPortProxy refuses unelevated (2) and reports a failed removal (5)' {
        Write-SimState 'whoami.json' @{ elevated = $false }
        { Uninstall-WslPortProxy -Settings $script:Settings } | Should -Throw -ErrorId 'WslPortProxy.NotElevated,Uninstall-WslPortProxy'
        Write-SimState 'whoami.json' @{ elevated = $true }
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Update-WslPortProxy { throw 'netsh broke' }
            { Uninstall-WslPortProxy -Settings $Settings } | Should -Throw -ErrorId 'WslPortProxy.RemoveFailed,Uninstall-WslPortProxy' -ExpectedMessage 'Removing the rules failed: netsh broke'
        }
    }

    It 'Uninstall-WslPortProxy fails with exit 8 before it unregisters anything when the reconcile lock stays taken; -WhatIf takes none' {
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Enter-Lock { $null }
            Mock Unregister-PortProxyTask { $true }
            { Uninstall-WslPortProxy -Settings $Settings } | Should -Throw -ErrorId 'WslPortProxy.LockTimeout,Uninstall-WslPortProxy' -ExpectedMessage 'Another run has been reconciling this server for too long; nothing was changed.*'
            Should -Invoke Unregister-PortProxyTask -Times 0 -Exactly
            Mock Update-WslPortProxy { [pscustomobject]@{ Removed = 0 } }
            $null = Uninstall-WslPortProxy -Settings $Settings -WhatIf
            Should -Invoke Enter-Lock -Times 1 -Exactly   # only the first call
        }
    }
}

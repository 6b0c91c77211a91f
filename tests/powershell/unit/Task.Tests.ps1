# Unit tests: the scheduled task: its account and password, its XML, registering, stopping and
# removing it (Private/Task.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
    $script:Bundle = Get-UnitBundle
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

Describe 'The task' {
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

    It 'Unregister-PortProxyTask says whether there was a task' {
        InModuleScope WslPortProxy { Unregister-PortProxyTask | Should -BeFalse }
        $null = Register-ScheduledTask -TaskName 'WslPortProxy' -TaskPath '\WslPortProxy\' -Xml '<Task/>' -User 'x'
        InModuleScope WslPortProxy { Unregister-PortProxyTask | Should -BeTrue }
        (Read-SimState 'tasks.json').Count | Should -Be 0
    }
}

Describe 'Stop-PortProxyTask' {
    It 'Given the old instance never stops, gives up after 30 seconds with exit code 9' {
        InModuleScope WslPortProxy {
            Mock Get-ScheduledTask { [pscustomobject]@{ State = 'Running' } }
            Mock Stop-ScheduledTask { }
            Mock Start-Sleep { }
            $script:clock = [datetime]'2026-01-01T00:00:00'
            Mock Get-Date { $script:clock = $script:clock.AddSeconds(10); $script:clock }
            $failure = { Stop-PortProxyTask } | Should -Throw -ErrorId 'WslPortProxy.TaskStillRunning' -PassThru
            $failure.Exception.Message | Should -BeExactly 'The running task \WslPortProxy\WslPortProxy did not stop within 30 seconds. End it (Task Scheduler: End, or stop its powershell.exe), then run this script again.'
            $failure.Exception.Data['WslPortProxyExitCode'] | Should -Be 9
            Should -Invoke Stop-ScheduledTask -Times 1 -Exactly
        }
    }

    It 'does nothing when the task is not running' {
        InModuleScope WslPortProxy {
            Mock Get-ScheduledTask { [pscustomobject]@{ State = 'Ready' } }
            Mock Stop-ScheduledTask { }
            Stop-PortProxyTask
            Should -Invoke Stop-ScheduledTask -Times 0 -Exactly
        }
    }
}

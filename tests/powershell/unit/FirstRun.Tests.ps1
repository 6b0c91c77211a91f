# Unit tests: the installer's first run of the task (Private/FirstRun.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Start-FirstRun and Test-InteractiveLogon' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

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
}

# The simulated Windows itself: what the other suites rely on it to do.

BeforeAll {
    . (Join-Path $PSScriptRoot 'SimulatedWindows.ps1')
}

Describe 'The simulation''s state files: a reader never sees a half-written file' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'replaces a state file as a whole: a reader that opened the old one keeps reading the old one, whole' {
        Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'running' }; pad = 'a' * 4096 }
        $path = Join-Path $global:WslppSim.State 'podman.json'
        $reader = [System.IO.File]::Open($path, 'Open', 'Read', ([System.IO.FileShare]'ReadWrite, Delete'))
        try {
            Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'stopped' } }
            $text = (New-Object System.IO.StreamReader $reader).ReadToEnd()
        }
        finally { $reader.Dispose() }
        (ConvertFrom-Json $text).machines.'podman-machine-default' | Should -Be 'running'
        (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'stopped'
        @(Get-ChildItem -LiteralPath $global:WslppSim.State -Filter '*.tmp') | Should -HaveCount 0
    }

    It 'lets a fake read a state file while a test rewrites it in a loop, without one broken read' {
        # What failed in CI once: the fake `podman events` read podman.json while Set-Machine rewrote it.
        $state = @{ machines = @{ 'podman-machine-default' = 'running' }; pad = 'x' * 200000 }
        Write-SimState 'podman.json' $state
        $stop = Join-Path $global:WslppSim.State 'stop-reading'
        $reader = @'
import json, os, sys
path, stop, bad, reads = sys.argv[1], sys.argv[2], 0, 0
while not os.path.exists(stop):
    try:
        with open(path, encoding="utf-8") as handle:
            json.loads(handle.read())
    except ValueError:
        bad += 1
    reads += 1
print(f"{bad} {reads}")
'@
        $job = Start-ThreadJob -ScriptBlock { param($Python, $Code, $Path, $Stop) & $Python -c $Code $Path $Stop } -ArgumentList (Get-SimPython), $reader, (Join-Path $global:WslppSim.State 'podman.json'), $stop
        Start-Sleep -Milliseconds 300   # the reader is reading
        foreach ($write in 1..200) { Write-SimState 'podman.json' $state }
        Write-SimText -Path $stop -Text 'stop'
        $bad, $reads = "$(Receive-Job -Job $job -Wait)" -split ' '
        Remove-Job -Job $job
        [int] $reads | Should -BeGreaterThan 0
        [int] $bad | Should -Be 0 -Because "$bad of $reads reads met a half-written file"
    }
}

Describe 'The simulated Task Scheduler: a logon task (InteractiveToken) runs only in its account''s interactive session' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Script = Join-Path $global:WslppSim.Root 'task.ps1'
        Set-Content -LiteralPath $script:Script -Value 'exit 0'
        function Register-SimLogonTask {
            param([string] $Account, [string] $LogonType = 'InteractiveToken')
            $xml = '<?xml version="1.0" encoding="UTF-16"?><Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">' +
                "<Principals><Principal id=""Author""><UserId>$Account</UserId><LogonType>$LogonType</LogonType></Principal></Principals>" +
                "<Actions Context=""Author""><Exec><Command>powershell.exe</Command><Arguments>-NoProfile -File ""$($script:Script)""</Arguments></Exec></Actions></Task>"
            $null = Register-ScheduledTask -TaskName 'T' -TaskPath '\X\' -Xml $xml -User $Account -Force
        }
        function Wait-SimTaskReady {
            $deadline = (Get-Date).AddSeconds(30)
            while ((Get-ScheduledTask -TaskName 'T' -TaskPath '\X\').State -eq 'Running' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        }
    }
    AfterEach { Remove-SimulatedWindows }

    It 'Given the account is logged on only over the network (WinRM), Start-ScheduledTask launches nothing: Ready, has not yet run (0x41303)' {
        Set-SimLogonSession @{ 'CORP\svc-podman' = 3; 'CORP\other' = 2 }
        Register-SimLogonTask -Account 'CORP\svc-podman'

        Start-ScheduledTask -TaskName 'T' -TaskPath '\X\'

        (Get-ScheduledTask -TaskName 'T' -TaskPath '\X\').State | Should -Be 'Ready'
        $info = Get-ScheduledTaskInfo -TaskName 'T' -TaskPath '\X\'
        $info.LastTaskResult | Should -Be 267011
        $info.LastRunTime | Should -BeNullOrEmpty
        @(Get-SimCall -Program 'cmdlet') | Should -Be @('cmdlet Start-ScheduledTask \X\T not started: CORP\svc-podman has no interactive session (InteractiveToken)')
    }

    It 'Given the account at the console (2) or over Remote Desktop (10), or known by its UPN, the task runs; a Password task runs without a session' -ForEach @(
        @{ Session = @{ 'CORP\svc-podman' = 2 }; Upn = @{}; Account = 'CORP\svc-podman'; LogonType = 'InteractiveToken' }
        @{ Session = @{ 'CORP\svc-podman' = 3, 10 }; Upn = @{}; Account = 'CORP\svc-podman'; LogonType = 'InteractiveToken' }
        @{ Session = @{ 'CORP\svc-podman' = 2 }; Upn = @{ 'CORP\svc-podman' = 'svc-podman@corp.example' }; Account = 'svc-podman@corp.example'; LogonType = 'InteractiveToken' }
        @{ Session = @{}; Upn = @{}; Account = 'CORP\svc-podman'; LogonType = 'Password' }
    ) {
        Set-SimLogonSession $Session -Upn $Upn
        Register-SimLogonTask -Account $Account -LogonType $LogonType

        Start-ScheduledTask -TaskName 'T' -TaskPath '\X\'

        (Get-ScheduledTaskInfo -TaskName 'T' -TaskPath '\X\').LastRunTime | Should -Not -BeNullOrEmpty
        Wait-SimTaskReady
        (Get-ScheduledTaskInfo -TaskName 'T' -TaskPath '\X\').LastTaskResult | Should -Be 0
    }

    It 'answers Win32_LogonSession (filtered by LogonType) and Win32_LoggedOnUser (account to session) from the same sessions' {
        Set-SimLogonSession @{ 'CORP\svc-podman' = 3; 'WEB-01\podman' = 10 }

        $interactive = @(Get-CimInstance -ClassName Win32_LogonSession -Filter 'LogonType = 2 OR LogonType = 10 OR LogonType = 11 OR LogonType = 12')
        $all = @(Get-CimInstance -ClassName Win32_LogonSession)
        $links = @(Get-CimInstance -ClassName Win32_LoggedOnUser)

        $interactive | Should -HaveCount 1
        @($all | ForEach-Object { [int] $_.LogonType } | Sort-Object) | Should -Be @(0, 3, 5, 10)
        $link = @($links | Where-Object { $_.Dependent.LogonId -eq $interactive[0].LogonId })
        $link | Should -HaveCount 1
        '{0}\{1}' -f $link[0].Antecedent.Domain, $link[0].Antecedent.Name | Should -Be 'WEB-01\podman'
        { Get-CimInstance -ClassName Win32_LogonSession -Filter "Name = 'x'" } | Should -Throw '*LogonType = N OR*'
    }
}

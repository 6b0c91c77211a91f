# Unit tests: the run log, the event log and its source, and a failed run's record (Private/Log.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Open-RunLog and Write-Log' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'creates the log folder and writes time-stamped lines; warnings also go to the event log' {
        New-EventLog -LogName Application -Source WslPortProxy
        $folder = Join-Path $TestDrive 'logs'
        InModuleScope WslPortProxy -Parameters @{ Folder = $folder } {
            param($Folder)
            $log = Open-RunLog -Directory $Folder
            $log.Path | Should -Be (Join-Path $Folder 'Update-WslPortProxy.log')
            $log.Events | Should -BeTrue
            Write-Log -Log $log -Message 'hello'
            Write-Log -Log $log -Level WARN -Message 'careful' -WarningAction SilentlyContinue
            Write-Log -Log $log -Level ERROR -Message 'broken'
        }
        $lines = @(Get-Content -LiteralPath (Join-Path $folder 'Update-WslPortProxy.log'))
        $lines | Should -HaveCount 3
        $lines[0] | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d \[INFO\] hello$'
        $lines[1] | Should -Match '\[WARN\] careful$'
        $lines[2] | Should -Match '\[ERROR\] broken$'
        Get-SimEvent | Should -Be @('2000 Warning careful')
    }

    It 'Given NoFile (-WhatIf), writes no file and no event' {
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory (Join-Path $TestDrive 'nolog') -NoFile
            Write-Log -Log $log -Message 'x'
            $log.Path | Should -BeNullOrEmpty
            $log.Events | Should -BeFalse
        }
        Test-Path -LiteralPath (Join-Path $TestDrive 'nolog') | Should -BeFalse
    }

    It 'Given the folder cannot be created, warns and logs to the console only' {
        Set-Content -LiteralPath (Join-Path $TestDrive 'file') -Value 'not a folder'
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory (Join-Path $TestDrive 'file') -WarningVariable warnings -WarningAction SilentlyContinue
            $log.Path | Should -BeNullOrEmpty
            "$($warnings[0])" | Should -BeLike 'Cannot create the log folder *, logging to the console and event log only: *'
        }
    }

    It 'Given a line cannot be written, skips it with one warning and writes the next lines again' {
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive
            Write-Log -Log $log -Message 'one'
            $file = Join-Path $TestDrive 'Update-WslPortProxy.log'
            Move-Item -LiteralPath $file -Destination "$file.saved"
            New-Item -ItemType Directory -Path $file | Out-Null   # in the way: the next writes fail
            Write-Log -Log $log -Message 'two' -WarningVariable first -WarningAction SilentlyContinue
            Write-Log -Log $log -Message 'three' -WarningVariable second -WarningAction SilentlyContinue
            Remove-Item -LiteralPath $file
            Move-Item -LiteralPath "$file.saved" -Destination $file
            Write-Log -Log $log -Message 'four'
            @($first) | Should -HaveCount 1
            "$($first[0])" | Should -BeLike 'Cannot write the log file * (this line is skipped; the next is tried again): *'
            @($second) | Should -HaveCount 0   # one warning per outage, not per line
            $log.Path | Should -Be $file
            $lines = @(Get-Content -LiteralPath $file)
            $lines[0] | Should -Match '\[INFO\] one$'
            $lines[1] | Should -Match '\[WARN\] 2 log line\(s\) could not be written\.$'
            $lines[2] | Should -Match '\[INFO\] four$'
        }
    }
}

Describe 'Write-LogEvent' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given two throttled warnings of one event id that both stay true, writes each once, not each again every run' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive
            foreach ($run in 1..3) {
                Write-LogEvent -Log $log -EventId 2000 -EntryType Warning -Message 'port 80 not listening' -Throttle -Topic 'listener'
                Write-LogEvent -Log $log -EventId 2000 -EntryType Warning -Message 'port 81 skipped' -Throttle -Topic 'auto_ports'
            }
            Write-LogEvent -Log $log -EventId 2000 -EntryType Warning -Message 'port 80, 82 not listening' -Throttle -Topic 'listener'
        }
        Get-SimEvent | Should -Be @('2000 Warning port 80 not listening', '2000 Warning port 81 skipped',
            '2000 Warning port 80, 82 not listening')
    }

    It 'Given an event write fails, warns once per outage in the log and tries the next event again' {
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive
            Write-LogEvent -Log $log -EventId 1001 -EntryType Information -Message 'same' -Throttle -WarningVariable first -WarningAction SilentlyContinue
            Write-LogEvent -Log $log -EventId 1001 -EntryType Information -Message 'same' -Throttle -WarningVariable second -WarningAction SilentlyContinue
            New-EventLog -LogName Application -Source WslPortProxy   # registered now: the next event is written
            Write-LogEvent -Log $log -EventId 1001 -EntryType Information -Message 'same' -Throttle -WarningVariable third -WarningAction SilentlyContinue
            Write-LogEvent -Log $log -EventId 1001 -EntryType Information -Message 'same' -Throttle   # written: now throttled
            @($first) | Should -HaveCount 1
            "$($first[0])" | Should -BeLike ('Cannot write to the Application event log (this event is skipped, the next is tried again; ' +
                'is the source WslPortProxy registered?): The source name "WslPortProxy" does not exist*')
            @($second) | Should -HaveCount 0   # one warning per outage, not per event
            "$($third[0])" | Should -Be '2 event(s) could not be written to the Application event log.'
            $log.Events | Should -BeTrue
        }
        Get-SimEvent | Should -Be @('1001 Information same')   # a throttled event that failed is tried again
        $lines = @(Get-Content -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log'))
        $lines | Should -HaveCount 2
        $lines[0] | Should -Match '\[WARN\] Cannot write to the Application event log \(this event is skipped, the next is tried again; '
        $lines[1] | Should -Match '\[WARN\] 2 event\(s\) could not be written to the Application event log\.$'
    }

    It 'Given a message longer than the event log takes (40,000 characters), writes it shortened with a pointer to the log, and later events too' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive
            Write-LogEvent -Log $log -EventId 3000 -EntryType Error -Message ('x' * 40000) -WarningAction SilentlyContinue
            Write-LogEvent -Log $log -EventId 1000 -EntryType Information -Message 'after' -WarningAction SilentlyContinue
        }
        $events = @(Get-SimEvent)
        $events | Should -HaveCount 2
        $message = $events[0].Substring('3000 Error '.Length)
        $message.Length | Should -Be 30000
        $message | Should -Match '^x{29000}'
        $message.EndsWith("x... (shortened from 40000 characters; the whole message is in $(Join-Path $TestDrive 'Update-WslPortProxy.log'))") |
            Should -BeTrue -Because $message.Substring(29800)
        $events[1] | Should -Be '1000 Information after'
    }

    It 'Given no log file, a shortened message says only how long it was; a short one is left alone' {
        InModuleScope WslPortProxy {
            $text = Get-EventText -Message ('y' * 30001)
            $text.Length | Should -Be 30000
            $text | Should -BeLike 'yyy*y... (shortened from 30001 characters)'
            Get-EventText -Message ('y' * 30000) -LogPath 'C:\logs\x.log' | Should -Be ('y' * 30000)
        }
    }

    It 'The simulated Write-EventLog refuses a message over the documented 31,839 characters, as Windows does' {
        New-EventLog -LogName Application -Source WslPortProxy
        { Write-EventLog -LogName Application -Source WslPortProxy -EventId 1000 -EntryType Information -Message ('z' * 31840) } |
            Should -Throw -ExceptionType ([System.ArgumentException]) -ExpectedMessage 'Log entry string is too long.*'
        Write-EventLog -LogName Application -Source WslPortProxy -EventId 1000 -EntryType Information -Message ('z' * 31839)
        @(Get-SimEvent) | Should -HaveCount 1
    }

    It 'Given PowerShell 7 (no Write-EventLog), writes no events' {
        $saved = ${function:global:Write-EventLog}
        Remove-Item -LiteralPath Function:\Write-EventLog
        try {
            InModuleScope WslPortProxy { (Open-RunLog -Directory $TestDrive).Events | Should -BeFalse }
        }
        finally {
            ${function:global:Write-EventLog} = $saved
        }
    }
}

Describe 'Invoke-LogRotation' {
    It 'moves the log to .1.log at MaxBytes, shifts the older ones and drops the fifth' {
        $folder = Join-Path $TestDrive 'rotate'
        New-Item -ItemType Directory -Path $folder | Out-Null
        Set-Content -LiteralPath (Join-Path $folder 'Update-WslPortProxy.log') -Value ('x' * 70000)
        foreach ($index in 1..4) { Set-Content -LiteralPath (Join-Path $folder "Update-WslPortProxy.$index.log") -Value "old $index" }
        InModuleScope WslPortProxy -Parameters @{ Folder = $folder } {
            param($Folder)
            $log = Open-RunLog -Directory $Folder -MaxBytes 65536
            Invoke-LogRotation -Log $log
            Invoke-LogRotation -Log $log   # nothing left to rotate
        }
        Test-Path -LiteralPath (Join-Path $folder 'Update-WslPortProxy.log') | Should -BeFalse
        (Get-Item (Join-Path $folder 'Update-WslPortProxy.1.log')).Length | Should -BeGreaterThan 65536
        Get-Content (Join-Path $folder 'Update-WslPortProxy.4.log') | Should -Be 'old 3'
    }
}

Describe 'Register-EventSource and Unregister-EventSource' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

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
}

Describe 'Write-Failure' {
    It 'logs a failure with its exit code, and where an unexpected one happened' {
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive
            $known = Write-Failure -ErrorRecord (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address') -Log $log
            $known.ExitCode | Should -Be 4
            $known.Message | Should -Be 'Failed (exit code 4): no address'
            try { throw 'boom' } catch { $unknown = Write-Failure -ErrorRecord $_ -Log $log }
            $unknown.Message | Should -BeLike 'Failed (exit code 1): boom At: *'
            Get-Content -Raw -LiteralPath $log.Path | Should -Match '\[ERROR\] Failed \(exit code 4\): no address'
        }
    }
}

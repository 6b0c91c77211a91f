# Unit tests: watch mode, its waits, run results and backoff (Private/Watch.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Wait-WslChange with an event stream' {
    It 'wakes for <Case>' -ForEach @(
        @{ Case = 'a container event'; Text = "{`"Name`":`"web`",`"Status`":`"start`"}`n"; Ended = $false; Reason = 'containers changed (start web)' }
        @{ Case = 'the end of the stream'; Text = ''; Ended = $false; Reason = 'the container event stream ended: podman events ended (exit 125)' }
        @{ Case = 'the keep-alive that ended'; Text = ''; Ended = $true; Reason = 'WSL stopped or restarted (the keep-alive process ended)' }
    ) {
        $stream = New-TestStream -Text $Text
        $keepAlive = $null
        if ($Ended) {   # a process that has ended, as a keep-alive does when WSL stops
            $keepAlive = [System.Diagnostics.Process]::Start([System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName, '--no-such-option')
            $keepAlive.WaitForExit()
        }
        InModuleScope WslPortProxy -Parameters @{ Stream = $stream; KeepAlive = $keepAlive; Reason = $Reason } {
            param($Stream, $KeepAlive, $Reason)
            Wait-WslChange -KeepAlive $KeepAlive -Seconds 5 -EventStream $Stream | Should -BeExactly $Reason
        }
    }

    It 'wakes for its timer when the stream says nothing' {
        InModuleScope WslPortProxy {
            $source = New-Object 'System.Threading.Tasks.TaskCompletionSource[string]'
            $stream = [pscustomobject]@{ Pending = $source.Task }
            Wait-WslChange -KeepAlive $null -Seconds 1 -EventStream $stream | Should -BeExactly 'periodic re-check'
        }
    }
}

Describe 'Get-BackoffSeconds' {
    It 'doubles from the base per attempt and stops at the maximum' {
        InModuleScope WslPortProxy {
            @(1..6 | ForEach-Object { Get-BackoffSeconds -Attempt $_ -Base 30 -Maximum 300 }) | Should -Be @(30, 60, 120, 240, 300, 300)
            Get-BackoffSeconds -Attempt 1000 -Base 30 -Maximum 3600 | Should -Be 3600
            Get-BackoffSeconds -Attempt 3 -Base 30 -Maximum 10 | Should -Be 30   # never below the base
        }
    }
}

Describe 'Wait-WslChange' {
    It 'Wait-WslChange wakes when the keep-alive ends, or at the re-check' {
        $sh = (Get-Command -Name 'sh' -CommandType Application | Select-Object -First 1).Source
        $process = Start-Process -FilePath $sh -ArgumentList @('-c', '"sleep 0.3"') -PassThru
        InModuleScope WslPortProxy -Parameters @{ Process = $process } {
            param($Process)
            Wait-WslChange -KeepAlive $Process -Seconds 0 | Should -Be 'WSL stopped or restarted (the keep-alive process ended)'
            Wait-WslChange -KeepAlive $null -Seconds 1 | Should -Be 'periodic re-check'
        }
    }
}

Describe 'Save-RunResult' {
    It 'records the result for the installer, except under -WhatIf' {
        InModuleScope WslPortProxy {
            Save-RunResult -Directory $TestDrive -ExitCode 0 -Message 'fine' -WhatIf
            Test-Path -LiteralPath (Join-Path $TestDrive 'last-run.json') | Should -BeFalse
            Save-RunResult -Directory $TestDrive -ExitCode 4 -Message 'no address'
            $saved = Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'last-run.json') | ConvertFrom-Json
            $saved.exitCode | Should -Be 4
            $saved.message | Should -Be 'no address'
            Save-RunResult -Directory (Join-Path $TestDrive 'missing/folder') -ExitCode 0 -Message 'x' -WarningVariable warnings -WarningAction SilentlyContinue
            "$($warnings[0])" | Should -BeLike 'Cannot record the run result: *'
        }
    }
}

Describe 'Invoke-Watch' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        New-Item -ItemType Directory -Path (Join-Path $global:WslppSim.ProgramData 'WslPortProxy') | Out-Null   # it runs from there
    }
    AfterEach { Remove-SimulatedWindows }

    It 'reconciles, starts a keep-alive, confirms the address, then waits the re-check interval' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            Mock Invoke-LockedReconcile { [pscustomobject]@{ Address = '172.28.1.1'; Message = 'No change: every rule is already right.'; Automatic = @() } }
            Mock Start-KeepAlive { $null }
            Mock Get-WslAddress { '172.28.1.1' }
            Mock Wait-WslChange { throw 'the task was stopped' }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'the task was stopped'
            Should -Invoke Invoke-LockedReconcile -Times 1 -Exactly
            Should -Invoke Start-KeepAlive -Times 1 -Exactly
            Should -Invoke Wait-WslChange -Times 1 -Exactly -ParameterFilter { $Seconds -eq 300 }
            (Get-Content -Raw -LiteralPath (Join-Path $settings.InstallDirectory 'last-run.json') | ConvertFrom-Json).exitCode | Should -Be 0
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Reconciling: watcher started\.(.|\n)*Watcher stopped\.'
        }
    }

    It 'Given the event stream ended with its process still running, stops that process before it follows again' {
        InModuleScope WslPortProxy {
            $auto = @{ From = 'podman'; ListenAddress = '0.0.0.0'; AllowFrom = @(); Limit = 10; Allow = @(@{ First = 8000; Last = 8999 }) }
            $settings = Import-Settings -Settings (New-TestSettings -Overrides @{ AutoPorts = $auto })
            Mock Start-EngineEventStream { [pscustomobject]@{ Started = Get-Date; Command = 'podman events' } }
            Mock Stop-EngineEventStream { }
            Mock Invoke-LockedReconcile { [pscustomobject]@{ Address = '172.28.1.1'; Message = 'No change.'; Automatic = @() } }
            Mock Start-KeepAlive { $null }
            Mock Get-WslAddress { '172.28.1.1' }
            $script:waits = 0
            Mock Wait-WslChange {
                $script:waits++
                if ($script:waits -gt 1) { throw 'stop' }
                'the container event stream ended: podman events ended (still running)'   # stdout closed, process alive
            }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'stop'
            Should -Invoke Start-EngineEventStream -Times 1 -Exactly   # the next start waits for its backoff
            Should -Invoke Stop-EngineEventStream -Times 1 -Exactly -ParameterFilter { $null -ne $Stream }
        }
    }

    It 'Given WSL moved during the reconcile, reconciles again at once' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $script:reconciles = 0
            Mock Invoke-LockedReconcile { $script:reconciles++; [pscustomobject]@{ Address = "172.28.1.$script:reconciles"; Message = 'Applied.'; Automatic = @() } }
            Mock Start-KeepAlive { $null }
            Mock Get-WslAddress { '172.28.1.2' }
            Mock Wait-WslChange { throw 'stop' }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'stop'
            Should -Invoke Invoke-LockedReconcile -Times 2 -Exactly
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Reconciling: WSL changed its address to 172\.28\.1\.2 during the reconcile\.'
        }
    }

    It 'Given failed reconciles, records the exit code and retries after 30, 60, 120 ... seconds up to the re-check interval' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $script:seconds = New-Object System.Collections.Generic.List[int]
            $script:runs = 0
            Mock Invoke-LockedReconcile {
                $script:runs++
                if ($script:runs -eq 6) { return [pscustomobject]@{ Address = '172.28.1.1'; Message = 'Applied.'; Automatic = @() } }
                throw (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address')
            }
            Mock Start-KeepAlive { $null }
            Mock Get-WslAddress { '172.28.1.1' }
            Mock Wait-WslChange { $script:seconds.Add($Seconds); if ($script:seconds.Count -ge 7) { throw 'stop' }; 'periodic re-check' }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'stop'
            # five failures, a success (the re-check interval), then a failure starts again at 30
            @($script:seconds) | Should -Be @(30, 60, 120, 240, 300, 300, 30)
            (Get-Content -Raw -LiteralPath (Join-Path $settings.InstallDirectory 'last-run.json') | ConvertFrom-Json).exitCode | Should -Be 4
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Trying again in 240 s \(failure 4 in a row\)\.'
        }
    }

    It 'a restart is event 1003, and a failure 3000' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $script:waits = 0
            Mock Invoke-LockedReconcile { throw (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address') }
            Mock Wait-WslChange { $script:waits++; if ($script:waits -gt 1) { throw 'stop' }; 'WSL stopped or restarted (the keep-alive process ended)' }
            { Invoke-Watch -Settings $settings -Log (Open-RunLog -Directory $TestDrive) } | Should -Throw 'stop'
        }
        @(Get-SimEvent | ForEach-Object { ($_ -split ' ')[0] }) | Should -Be @('1002', '3000', '1003', '3000')
    }

    It 'Given another watcher holds the lock, returns at once' {
        InModuleScope WslPortProxy {
            Mock Enter-Lock { $null }
            Mock Invoke-LockedReconcile { }
            Invoke-Watch -Settings (Import-Settings -Settings (New-TestSettings)) -Log (Open-RunLog -Directory $TestDrive)
            Should -Invoke Invoke-LockedReconcile -Times 0 -Exactly
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Another watcher is already running for this server; this one exits\.'
        }
    }
}

Describe 'New-WatchState' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'starts with no failure, no keep-alive and no stream; follows the events only for auto_ports from podman' {
        InModuleScope WslPortProxy {
            $state = New-WatchState -Settings (Import-Settings -Settings (New-TestSettings))
            $state.Reason | Should -Be 'watcher started'
            $state.Failures, $state.Restarts, $state.EarlyExits, $state.StreamFailures | Should -Be @(0, 0, 0, 0)
            @($state.KeepAlive, $state.Stream, $state.Address, $state.Wsl) | Should -Be @($null, $null, $null, $null)
            $state.Follow | Should -BeFalse
            $state.Ceiling | Should -Be 300
            $auto = @{ From = 'podman'; ListenAddress = '0.0.0.0'; AllowFrom = @(); Limit = 10; Allow = @(@{ First = 8000; Last = 8999 }) }
            $following = New-WatchState -Settings (Import-Settings -Settings (New-TestSettings -Overrides @{ AutoPorts = $auto; RecheckSeconds = 0 }))
            $following.Follow | Should -BeTrue
            $following.Ceiling | Should -Be 3600   # no re-check: the backoffs stop at an hour
        }
    }
}

Describe 'Invoke-WatchReconcile' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'records a good run, keeps the address and counts a new one as a restart only without a keep-alive' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings -Overrides @{ KeepAlive = $false })
            $log = Open-RunLog -Directory $TestDrive
            $state = New-WatchState -Settings $settings
            $state.Failures = 2
            $script:address = '172.28.1.1'
            Mock Invoke-LockedReconcile { [pscustomobject]@{ Address = $script:address; Message = 'Applied.'; Automatic = @() } }
            Mock Save-RunResult { }
            Mock Update-MetricsFile { }
            Invoke-WatchReconcile -State $state -Settings $settings -Log $log | Should -BeTrue
            $state.Address | Should -Be '172.28.1.1'
            $state.Failures | Should -Be 0
            $state.Restarts | Should -Be 0   # the first address is no restart
            $script:address = '172.28.1.2'
            Invoke-WatchReconcile -State $state -Settings $settings -Log $log | Should -BeTrue
            $state.Restarts | Should -Be 1
            Should -Invoke Save-RunResult -Times 2 -Exactly -ParameterFilter { $ExitCode -eq 0 -and $Message -eq 'Applied.' }
            Should -Invoke Update-MetricsFile -Times 1 -Exactly -ParameterFilter { $Address -eq '172.28.1.2' -and $Success -and $Restarts -eq 1 }
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Reconciling: watcher started\.'
        }
    }

    It 'counts a failed run, records its exit code and tells the metrics no address' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $state = New-WatchState -Settings $settings
            $state.Address = '172.28.1.1'
            Mock Invoke-LockedReconcile { throw (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address') }
            Mock Save-RunResult { }
            Mock Update-MetricsFile { }
            Invoke-WatchReconcile -State $state -Settings $settings -Log (Open-RunLog -Directory $TestDrive) | Should -BeFalse
            Invoke-WatchReconcile -State $state -Settings $settings -Log (Open-RunLog -Directory $TestDrive) | Should -BeFalse
            $state.Failures | Should -Be 2
            $state.Address | Should -Be '172.28.1.1'
            Should -Invoke Save-RunResult -Times 2 -Exactly -ParameterFilter { $ExitCode -eq 4 -and $Message -like 'Failed (exit code 4): no address*' }
            Should -Invoke Update-MetricsFile -Times 2 -Exactly -ParameterFilter { -not $Address -and -not $Success }
        }
        @(Get-SimEvent | ForEach-Object { ($_ -split ' ')[0] }) | Should -Be @('3000', '3000')
    }

    It 'returns its verdict alone, even when a step it calls writes to the pipeline: the loop branches on it' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $state = New-WatchState -Settings $settings
            Mock Invoke-LockedReconcile { throw (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message 'no address') }
            Mock Save-RunResult { 'noise' }
            Mock Update-MetricsFile { 'noise' }
            $out = @(Invoke-WatchReconcile -State $state -Settings $settings -Log (Open-RunLog -Directory $TestDrive))
            $out.Count | Should -Be 1
            $out[0] | Should -BeOfType [bool]
            $out[0] | Should -BeFalse
        }
    }
}

Describe 'Step-EventStreamRetry' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'counts a failure and waits 2, 4, 8 ... seconds up to the ceiling before the next start' {
        InModuleScope WslPortProxy {
            $state = New-WatchState -Settings (Import-Settings -Settings (New-TestSettings -Overrides @{ RecheckSeconds = 10 }))
            @(1..5 | ForEach-Object { Step-EventStreamRetry -State $state }) | Should -Be @(2, 4, 8, 10, 10)
            $state.StreamFailures | Should -Be 5
            ($state.StreamRetryAt - (Get-Date)).TotalSeconds | Should -BeGreaterThan 8
            ($state.StreamRetryAt - (Get-Date)).TotalSeconds | Should -BeLessOrEqual 10
        }
    }
}

Describe 'Start-WatchEventStream' {
    BeforeAll {
        $script:Auto = @{ From = 'podman'; ListenAddress = '0.0.0.0'; AllowFrom = @(); Limit = 10; Allow = @(@{ First = 8000; Last = 8999 }) }
    }
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'starts nothing when the events are not followed, a stream runs, or its backoff lasts' {
        InModuleScope WslPortProxy -Parameters @{ Auto = $script:Auto } {
            param($Auto)
            Mock Start-EngineEventStream { [pscustomobject]@{ Started = Get-Date; Command = 'podman events' } }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $plain = Import-Settings -Settings (New-TestSettings)
            Start-WatchEventStream -State (New-WatchState -Settings $plain) -Settings $plain -Log $log | Should -BeFalse
            $settings = Import-Settings -Settings (New-TestSettings -Overrides @{ AutoPorts = $Auto })
            $state = New-WatchState -Settings $settings
            $state.StreamRetryAt = (Get-Date).AddMinutes(1)
            Start-WatchEventStream -State $state -Settings $settings -Log $log | Should -BeFalse
            Should -Invoke Start-EngineEventStream -Times 0 -Exactly
            $state.StreamRetryAt = Get-Date
            Start-WatchEventStream -State $state -Settings $settings -Log $log -CountFailure | Should -BeTrue
            $state.Stream.Command | Should -Be 'podman events'
            Start-WatchEventStream -State $state -Settings $settings -Log $log | Should -BeFalse   # one runs
            Should -Invoke Start-EngineEventStream -Times 1 -Exactly
        }
    }

    It 'before a reconcile only logs a failure; after one counts it and backs off' {
        InModuleScope WslPortProxy -Parameters @{ Auto = $script:Auto } {
            param($Auto)
            Mock Start-EngineEventStream { throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message 'the machine is not running') }
            $settings = Import-Settings -Settings (New-TestSettings -Overrides @{ AutoPorts = $Auto })
            $state = New-WatchState -Settings $settings
            $log = Open-RunLog -Directory $TestDrive
            Start-WatchEventStream -State $state -Settings $settings -Log $log | Should -BeFalse
            $state.StreamFailures | Should -Be 0
            Start-WatchEventStream -State $state -Settings $settings -Log $log -CountFailure | Should -BeFalse
            $state.StreamFailures | Should -Be 1
            $state.StreamRetryAt | Should -BeGreaterThan (Get-Date)
            $text = Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log')
            $text | Should -Match 'Not following the container events yet: the machine is not running'
            $text | Should -Match '\[WARN\] Cannot follow the container events \(the machine is not running\); trying again in 2 s, until then the periodic re-check\.'
        }
    }
}

Describe 'Stop-WatchEventStream' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'stops the ended stream, forgets it and backs off; a stream that lived a minute starts its count afresh' {
        InModuleScope WslPortProxy {
            Mock Stop-EngineEventStream { }
            $state = New-WatchState -Settings (Import-Settings -Settings (New-TestSettings))
            $log = Open-RunLog -Directory $TestDrive
            $state.StreamFailures = 2
            $state.Stream = [pscustomobject]@{ Started = Get-Date; Command = 'podman events' }
            Stop-WatchEventStream -State $state -Reason 'the container event stream ended: x' -Log $log
            $state.StreamFailures | Should -Be 3
            $state.Stream | Should -BeNullOrEmpty
            $state.Stream = [pscustomobject]@{ Started = (Get-Date).AddMinutes(-2); Command = 'podman events' }
            Stop-WatchEventStream -State $state -Reason 'the container event stream ended: y' -Log $log
            $state.StreamFailures | Should -Be 1
            Should -Invoke Stop-EngineEventStream -Times 2 -Exactly -ParameterFilter { $Stream.Command -eq 'podman events' }
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') |
                Should -Match '\[WARN\] the container event stream ended: x\. Following the events again in 8 s; until then the periodic re-check\.'
        }
    }
}

Describe 'Get-WatchWait' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'waits the re-check interval, backs off after failures, and wakes up to start the event stream again' {
        InModuleScope WslPortProxy {
            $settings = Import-Settings -Settings (New-TestSettings)
            $state = New-WatchState -Settings $settings
            $log = Open-RunLog -Directory $TestDrive
            Get-WatchWait -State $state -Settings $settings -Log $log | Should -Be 300
            $state.Failures = 3
            Get-WatchWait -State $state -Settings $settings -Log $log | Should -Be 120
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'Trying again in 120 s \(failure 3 in a row\)\.'
            $state.Follow = $true
            $state.StreamRetryAt = (Get-Date).AddSeconds(4)
            Get-WatchWait -State $state -Settings $settings -Log $log | Should -BeIn @(4, 5)
            $state.StreamRetryAt = (Get-Date).AddSeconds(-10)
            Get-WatchWait -State $state -Settings $settings -Log $log | Should -Be 1   # at least a second
            $state.Stream = [pscustomobject]@{ Started = Get-Date }
            Get-WatchWait -State $state -Settings $settings -Log $log | Should -Be 120   # it runs: nothing to start
            $none = Import-Settings -Settings (New-TestSettings -Overrides @{ RecheckSeconds = 0 })
            $state.Failures = 0
            $state.Stream = $null
            $state.StreamRetryAt = (Get-Date).AddSeconds(4)
            Get-WatchWait -State $state -Settings $none -Log $log | Should -BeIn @(4, 5)   # no timer but the retry
        }
    }
}

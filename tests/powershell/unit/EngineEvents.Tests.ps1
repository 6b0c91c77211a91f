# Unit tests: the container event stream (Private/EngineEvents.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Receive-EngineEvent' {
    It 'takes the events that arrive together, keeps start, stop, died and remove, and skips the rest' {
        $text = @(
            '{"ID":"1","Name":"web","Status":"create","Type":"container"}'
            '{"ID":"1","Name":"web","Status":"start","Type":"container"}'
            'not json'
            '{"ID":"2","Name":"db","Status":"died","Type":"container"}'
            '{"id":"3","Action":"die","Name":"old","Type":"container"}'
        ) -join "`n"
        $stream = New-TestStream -Text ($text + "`n")
        InModuleScope WslPortProxy -Parameters @{ Stream = $stream } {
            param($Stream)
            $received = Receive-EngineEvent -Stream $Stream -Milliseconds 100
            $received.Ended | Should -BeFalse
            $received.Events | Should -Be @('start web', 'died db', 'die old')
            (Receive-EngineEvent -Stream $Stream -Milliseconds 100).Ended | Should -BeTrue   # then the end
        }
    }

    It 'says how the stream ended: the command, its exit code and what it said' {
        $stream = New-TestStream -Text '' -Errors "Error: connection lost`n"
        InModuleScope WslPortProxy -Parameters @{ Stream = $stream } {
            param($Stream)
            $received = Receive-EngineEvent -Stream $Stream -Milliseconds 100
            $received.Ended | Should -BeTrue
            $received.Message | Should -BeExactly 'podman events ended (exit 125): Error: connection lost'
        }
    }

    It 'counts a failed read as done: the stream is over' {
        InModuleScope WslPortProxy {
            $failed = [System.Threading.Tasks.Task]::FromException([System.IO.IOException]::new('pipe broken'))
            Wait-PendingLine -Task $failed -Milliseconds 10 | Should -BeTrue
        }
    }

    It 'returns nothing while no line has come' {
        InModuleScope WslPortProxy {
            $source = New-Object 'System.Threading.Tasks.TaskCompletionSource[string]'
            $stream = [pscustomobject]@{ Pending = $source.Task }
            Receive-EngineEvent -Stream $stream -Milliseconds 50 | Should -BeNullOrEmpty
        }
    }
}

Describe 'Receive-EngineEvent under a flood' {
    BeforeAll {
        function Start-Flood {
            <# A stand-in for podman events that prints a container event every 50 ms, 200 in all (10 s). #>
            $info = New-Object System.Diagnostics.ProcessStartInfo (Get-SimPython)
            $info.ArgumentList.Add('-c')
            $info.ArgumentList.Add("import time`nfor i in range(200):`n    print('{`"Name`":`"c%d`",`"Status`":`"start`"}' % i, flush=True)`n    time.sleep(0.05)")
            $info.UseShellExecute = $false
            $info.RedirectStandardOutput = $true
            return [System.Diagnostics.Process]::Start($info)
        }
        function New-FloodStream {
            param($Process)
            [pscustomobject]@{ Process = $Process; Reader = $Process.StandardOutput; Pending = $Process.StandardOutput.ReadLineAsync()
                Errors = [System.Threading.Tasks.Task]::FromResult(''); Started = Get-Date; Command = 'podman events' }
        }
    }

    It 'stops taking lines after a bounded time while events keep coming every 50 ms, and misses none' {
        $process = Start-Flood
        try {
            $stream = New-FloodStream -Process $process
            InModuleScope WslPortProxy -Parameters @{ Stream = $stream } {
                param($Stream)
                $first = Receive-EngineEvent -Stream $Stream -Milliseconds 5000
                $first.Ended | Should -BeFalse
                # 200 lines take 10 s to come; one wake-up takes what came within its bound (1 s: about 20).
                @($first.Events).Count | Should -BeGreaterThan 0
                @($first.Events).Count | Should -BeLessOrEqual 40
                $second = Receive-EngineEvent -Stream $Stream -Milliseconds 5000
                @(@($first.Events) + @($second.Events)) | Should -Be @(0..(@($first.Events).Count + @($second.Events).Count - 1) | ForEach-Object { "start c$_" })
            }
        }
        finally {
            if (-not $process.HasExited) { $process.Kill() }
        }
    }

    It 'lets Wait-WslChange see the keep-alive that ended while the flood goes on' {
        $keepAlive = [System.Diagnostics.Process]::Start([System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName, '--no-such-option')
        $keepAlive.WaitForExit()
        $process = Start-Flood
        try {
            $stream = New-FloodStream -Process $process
            InModuleScope WslPortProxy -Parameters @{ Stream = $stream; KeepAlive = $keepAlive } {
                param($Stream, $KeepAlive)
                Wait-WslChange -KeepAlive $KeepAlive -Seconds 0 -EventStream $Stream | Should -BeExactly 'WSL stopped or restarted (the keep-alive process ended)'
            }
            $process.HasExited | Should -BeFalse   # seen while the flood lasts (10 s), not after it
        }
        finally {
            if (-not $process.HasExited) { $process.Kill() }
        }
    }
}

Describe 'Start-EngineEventStream and Stop-EngineEventStream' {
    It 'follows nothing without auto_ports from podman, and changes nothing under -WhatIf' {
        InModuleScope WslPortProxy {
            Mock Get-PodmanConnection { [pscustomobject]@{ Podman = 'podman.exe'; Connection = 'm' } }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            Start-EngineEventStream -Settings ([pscustomobject]@{ AutoPorts = $null }) -Log $log | Should -BeNullOrEmpty
            $docker = [pscustomobject]@{ AutoPorts = [pscustomobject]@{ From = 'docker' }; Distro = 'Ubuntu' }
            Start-EngineEventStream -Settings $docker -Log $log | Should -BeNullOrEmpty
            $podman = [pscustomobject]@{ AutoPorts = [pscustomobject]@{ From = 'podman' }; Distro = 'm'; CommandTimeouts = [pscustomobject]@{ Wsl = 7; Podman = 8; Netsh = 9 }; InstallDirectory = $TestDrive }
            Start-EngineEventStream -Settings $podman -Log $log -WhatIf | Should -BeNullOrEmpty
            Should -Invoke Get-PodmanConnection -Times 1 -Exactly -ParameterFilter { $CommandTimeout -eq 8 }
            Stop-EngineEventStream -Stream $null
        }
    }
}

Describe 'Start-EngineEventStream with a real process' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'starts the program with the events arguments, reads its output without blocking, and says how it ended' {
        $program = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName   # exits at once on these arguments
        InModuleScope WslPortProxy -Parameters @{ Program = $program } {
            param($Program)
            Mock Get-PodmanConnection { [pscustomobject]@{ Podman = $Program; Connection = 'm-root' } }
            Mock Write-Log { }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $settings = [pscustomobject]@{ AutoPorts = [pscustomobject]@{ From = 'podman' }; Distro = 'm'; CommandTimeouts = [pscustomobject]@{ Wsl = 7; Podman = 8; Netsh = 9 }; InstallDirectory = $TestDrive }
            $stream = Start-EngineEventStream -Settings $settings -Log $log
            $stream.Command | Should -BeExactly 'podman --connection m-root events --format json --filter type=container'
            Should -Invoke Write-Log -Times 1 -Exactly -ParameterFilter { $Message -like 'Following the container events (podman --connection m-root events *, process *).' }
            $stream.Process.StartInfo.EnvironmentVariables['PATH'] | Should -BeExactly (Get-PodmanSearchPath -Podman $Program)
            $received = $null
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            while (($null -eq $received -or -not $received.Ended) -and $clock.Elapsed.TotalSeconds -lt 20) {
                $received = Receive-EngineEvent -Stream $stream -Milliseconds 250
            }
            $received.Ended | Should -BeTrue
            $received.Message | Should -BeLike 'podman --connection m-root events --format json --filter type=container ended (exit *)*'
            Stop-EngineEventStream -Stream $stream   # already ended: nothing to stop
        }
    }
}

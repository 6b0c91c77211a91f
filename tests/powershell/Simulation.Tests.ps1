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

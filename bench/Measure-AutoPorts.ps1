<#
.SYNOPSIS
    Measures auto_ports on the simulated Windows (tests/powershell/sim): how long after a container
    publishes or withdraws a port the watcher has the portproxy rule in place or gone.

.DESCRIPTION
    Starts the generated watcher (-Watch) for a server with auto_ports {from: podman}, waits
    until it follows the container events and is idle, then, Events times, alternately
    publishes a port (the container state changes, then podman's "start" event is sent) and
    withdraws it ("died"), and times each from the event to the rule being added or deleted
    in the registry (portproxy.json). Prints the median and max of each kind (target <= 2 s).
    Run: .tools/pwsh/pwsh -NoProfile -File bench/Measure-AutoPorts.ps1   (Python: the project's venv)
#>
param([int] $Events = 6)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$repo = Split-Path -Parent $PSScriptRoot
. (Join-Path $repo 'tests/powershell/sim/SimulatedWindows.ps1')
. (Join-Path $repo 'tests/powershell/TestHelpers.ps1')

function Wait-For {
    param([scriptblock] $Condition, [string] $What, [double] $Seconds = 30)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    while (-not (& $Condition)) {
        if ($clock.Elapsed.TotalSeconds -gt $Seconds) { throw "timed out waiting for $What" }
        Start-Sleep -Milliseconds 5
    }
    return $clock.Elapsed.TotalSeconds
}

function Test-Idle {
    $log = Get-UpdateLog
    @(Get-SimCall -Program 'podman' | Where-Object { $_ -like 'podman events *' }).Count -ge 1 -and
    $log -match 'Keep-alive started' -and
    [regex]::Matches($log, 'Reconciling: ').Count -le [regex]::Matches($log, '\] (Applied|No change)').Count
}

$dist = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 10s
    auto_ports: {from: podman, allow: ["8000-8999"]}
'@
$update = Join-Path $dist 'WEB-01/Update-WslPortProxy.ps1'
New-SimulatedWindows | Out-Null
try {
    Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(); blocked = @() }
    Set-SimContainer ([ordered]@{})
    $watcher = Start-SimScript -Path $update -Arguments '-Watch'
    $null = Wait-For { Test-Idle } -What 'the watcher to follow the events'
    $added = New-Object System.Collections.Generic.List[double]
    $removed = New-Object System.Collections.Generic.List[double]
    for ($index = 0; $index -lt $Events; $index++) {
        $port = 8000 + [int][math]::Floor($index / 2)
        $key = "0.0.0.0/$port"
        $null = Wait-For { Test-Idle } -What 'the watcher to be idle'
        Start-Sleep -Milliseconds 200
        if ($index % 2 -eq 0) {
            Set-SimContainer ([ordered]@{ "web$port" = @(New-SimPublish -HostPort $port) })
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            Send-SimContainerEvent -Name "web$port" -Status 'start'
            $null = Wait-For { (Get-SimPortProxy) -and (Get-SimPortProxy).ContainsKey($key) } -What "rule $key"
            $added.Add($clock.Elapsed.TotalSeconds)
        }
        else {
            Set-SimContainer ([ordered]@{})
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            Send-SimContainerEvent -Name "web$port" -Status 'died'
            $null = Wait-For { -not (Get-SimPortProxy).ContainsKey($key) } -What "rule $key deleted"
            $removed.Add($clock.Elapsed.TotalSeconds)
        }
    }
    $null = Stop-SimScript -Handle $watcher
}
finally {
    Remove-SimulatedWindows
}
foreach ($kind in @(@{ Name = 'publish -> rule added'; Values = $added }, @{ Name = 'withdraw -> rule deleted'; Values = $removed })) {
    $sorted = @($kind.Values | Sort-Object)
    '{0,-26} {1} events: median {2:N2} s, max {3:N2} s' -f $kind.Name, $sorted.Count, $sorted[[int][math]::Floor($sorted.Count / 2)], $sorted[-1]
}
$all = @(@($added) + @($removed) | Sort-Object)
'{0,-26} {1} events: median {2:N2} s, max {3:N2} s (target <= 2 s)' -f 'all', $all.Count, $all[[int][math]::Floor($all.Count / 2)], $all[-1]

<#
.SYNOPSIS
    Measures the generated Update-WslPortProxy.ps1 on the simulated Windows (tests/powershell/sim).

.DESCRIPTION
    For 1, 10 and 100 forwarded ports (separate entries, so one firewall rule each) it prints:
      - a steady-state run: external processes started (by program), writes (netsh calls
        plus firewall/service cmdlet writes) and CIM-backed queries by kind (firewall, TCP
        listeners, services, addresses); targets:
        1 WSL call, 0 writes, the same number of queries for every port count, and a run time
        for 100 ports at most 1.5x that for 1 port;
      - an IP change (one-shot run): portproxy writes and how many were in-place 'set's
        (target: exactly one set per port, no delete/add, so never a moment without a rule);
      - watch mode: seconds from the moment WSL restarted with a new IP (the new IP exists)
        until the last rule points at it (target <= 2 s); median and max of 3 restarts.
    Run: .tools/pwsh/pwsh -NoProfile -File bench/Measure-Update.ps1   (Python: the project's venv)
#>
param([int[]] $PortCounts = @(1, 10, 100), [int] $Restarts = 3)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$repo = Split-Path -Parent $PSScriptRoot
. (Join-Path $repo 'tests/powershell/sim/SimulatedWindows.ps1')
. (Join-Path $repo 'tests/powershell/TestHelpers.ps1')

function Get-Figures {
    param([string[]] $Calls)
    $programs = @($Calls | Where-Object { $_ -notlike 'cmdlet *' -and $_ -notlike 'netsh> *' -and $_ -notlike 'cim *' } | ForEach-Object { ($_ -split ' ')[0] })
    $queries = @($Calls | Where-Object { $_ -like 'cim *' })
    $writes = @($Calls | Where-Object { $_ -like 'netsh interface *' -or $_ -like 'netsh> *' -or $_ -like 'cmdlet *' })
    $byProgram = ($programs | Group-Object | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '
    # 'cim Get-NetFirewallRule -Group ...' -> kind 'Get-NetFirewallRule': the same count of every kind for any port count
    $byKind = ($queries | ForEach-Object { ($_ -split ' ')[1] } | Group-Object | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '
    return [pscustomobject]@{ Processes = $programs.Count; ByProgram = $byProgram; Writes = $writes.Count; Queries = $queries.Count; ByKind = $byKind }
}

$results = foreach ($count in $PortCounts) {
    $ports = (0..($count - 1) | ForEach-Object { 10000 + $_ }) -join ', '
    $dist = New-TestBundle -Inventory "servers:`n  - {name: WEB-01, run_as: CORP\svc-podman, wait_for_wsl: 10s, ports: [$ports]}`n"
    $update = Join-Path $dist 'WEB-01/Update-WslPortProxy.ps1'
    New-SimulatedWindows | Out-Null
    try {
        & $update *> $null
        if ($LASTEXITCODE -ne 0) { throw "first run failed: $LASTEXITCODE" }

        Clear-SimCall
        & $update *> $null
        $steady = Get-Figures -Calls (Get-SimCall)
        $runs = @(foreach ($run in 1..5) { (Measure-Command { & $update *> $null }).TotalSeconds })
        $runs = @($runs | Sort-Object)
        $steadySeconds = $runs[2]   # the median of five

        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.200.1'; no_ip_for = 0; generation = 5 } }
        Clear-SimCall
        & $update *> $null
        $netsh = @(Get-SimNetshCommand)
        $sets = @($netsh | Where-Object { ($_ -split ' ')[2] -eq 'set' }).Count
        $netshProcesses = @(Get-SimCall -Program 'netsh').Count

        $watcher = Start-SimScript -Path $update -Arguments '-Watch'
        $deadline = (Get-Date).AddSeconds(60)
        while (@(Get-SimCall -Program 'wsl' | Where-Object { $_ -like '*sleep infinity' }).Count -lt 1) {
            if ((Get-Date) -gt $deadline) {
                $log = Get-Content -Raw -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/logs/Update-WslPortProxy.log') -ErrorAction SilentlyContinue
                throw "the watcher did not start its keep-alive (exit: $(Wait-SimScript -Handle $watcher -Seconds 0)); log:`n$log"
            }
            Start-Sleep -Milliseconds 20
        }
        $latencies = foreach ($restart in 1..$Restarts) {
            $ip = "172.28.$restart.9"
            Start-Sleep -Milliseconds 300
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            Restart-SimWsl -NewIp $ip
            while (@((Get-SimPortProxy).Values | Where-Object { $_ -notlike "$ip/*" }).Count -gt 0) {
                if ($clock.Elapsed.TotalSeconds -gt 60) { throw "rules did not follow restart $restart" }
                Start-Sleep -Milliseconds 10
            }
            $clock.Elapsed.TotalSeconds
            $deadline = (Get-Date).AddSeconds(60)
            while (@(Get-SimCall -Program 'wsl' | Where-Object { $_ -like '*sleep infinity' }).Count -lt $restart + 1) {
                if ((Get-Date) -gt $deadline) { throw 'no new keep-alive' }
                Start-Sleep -Milliseconds 20
            }
        }
        $null = Stop-SimScript -Handle $watcher
        $sorted = @($latencies | Sort-Object)
        [pscustomobject]@{
            Ports               = $count
            'Steady processes'  = "$($steady.Processes) ($($steady.ByProgram))"
            'Steady writes'     = $steady.Writes
            'Steady CIM queries' = "$($steady.Queries) ($($steady.ByKind))"
            'Steady s (median of 5)' = [math]::Round($steadySeconds, 2)
            'IP change writes'  = "$($netsh.Count) ($sets in-place set, $netshProcesses netsh process)"
            'Watch latency s'   = '{0:N2} median, {1:N2} max' -f $sorted[[int][math]::Floor($sorted.Count / 2)], $sorted[-1]
        }
    }
    finally {
        Remove-SimulatedWindows
    }
}
$results | Format-List | Out-String -Width 200

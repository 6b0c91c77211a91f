<#
.SYNOPSIS
    Measures what the metrics file (inventory key metrics_file) costs the watcher per reconcile.

.DESCRIPTION
    For 1, 10 and 100 forwarded ports, on the simulated Windows (tests/powershell/sim): after a first
    reconcile, runs the module's Update-MetricsFile as the watcher does after each reconcile and
    prints its CIM-backed queries by kind (the same for every port count is the target), the
    processes it starts (none is the target: no WSL call), the file's size, and its run time
    (median of 5).
    Run: .tools/pwsh/pwsh -NoProfile -File bench/Measure-Metrics.ps1   (Python: the project's venv)
#>
param([int[]] $PortCounts = @(1, 10, 100))

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$repo = Split-Path -Parent $PSScriptRoot
. (Join-Path $repo 'tests/powershell/sim/SimulatedWindows.ps1')
. (Join-Path $repo 'tests/powershell/TestHelpers.ps1')

$results = foreach ($count in $PortCounts) {
    $ports = (0..($count - 1) | ForEach-Object { 10000 + $_ }) -join ', '
    $dist = New-TestBundle -Inventory ("servers:`n  - {name: WEB-01, run_as: CORP\svc-podman, wait_for_wsl: 10s, " +
        "metrics_file: '%ProgramFiles%\windows_exporter\textfile_inputs\wsl-portproxy.prom', ports: [$ports]}`n")
    New-SimulatedWindows | Out-Null
    try {
        $folder = Join-Path $global:WslppSim.ProgramFiles 'windows_exporter/textfile_inputs'
        New-Item -ItemType Directory -Path $folder | Out-Null
        & (Join-Path $dist 'WEB-01/Update-WslPortProxy.ps1') *> $null
        if ($LASTEXITCODE -ne 0) { throw "first run failed: $LASTEXITCODE" }
        $module = Import-Module (Join-Path $dist 'WEB-01/WslPortProxy/WslPortProxy.psd1') -Force -PassThru
        $settings = Join-Path $dist 'WEB-01/WslPortProxy.Settings.psd1'
        $write = {
            param($Settings)
            $config = Import-Settings -Settings $Settings
            $log = Open-RunLog -Directory (Join-Path $config.InstallDirectory 'logs') -NoFile
            Update-MetricsFile -Settings $config -Address '172.28.241.140' -Success $true -DurationSeconds 0.3 -Restarts 0 -Log $log
        }
        Clear-SimCall
        & $module $write $settings
        $calls = @(Get-SimCall)
        $queries = @($calls | Where-Object { $_ -like 'cim *' })
        $byKind = ($queries | ForEach-Object { ($_ -split ' ')[1] } | Group-Object | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Count)" }) -join ', '
        $processes = @($calls | Where-Object { $_ -notlike 'cim *' -and $_ -notlike 'cmdlet *' }).Count
        $runs = @(foreach ($run in 1..5) { (Measure-Command { & $module $write $settings }).TotalSeconds })
        $runs = @($runs | Sort-Object)
        $file = Join-Path $folder 'wsl-portproxy.prom'
        Remove-Module -ModuleInfo $module
        [pscustomobject]@{
            Ports                  = $count
            'CIM queries'          = "$($queries.Count) ($byKind)"
            'Processes started'    = $processes
            'File bytes'           = (Get-Item -LiteralPath $file).Length
            'Run s (median of 5)'  = [math]::Round($runs[2], 3)
        }
    }
    finally {
        Remove-SimulatedWindows
    }
}
$results | Format-List | Out-String -Width 200

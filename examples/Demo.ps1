<#
.SYNOPSIS
    See wsl-portproxy work without a Windows server: the example bundle on a simulated Windows.

.DESCRIPTION
    Generates the bundle of examples/inventory.yaml, installs it on a fresh simulated server
    (the test suite's tests/powershell/sim/: fake wsl.exe, netsh.exe and podman.exe, stand-ins for
    the firewall, Task Scheduler and the event log), shows the portproxy and firewall rules
    before and after, restarts WSL with a new address, shows the task's watcher rewriting the
    rules and the -Status table, then uninstalls. The bundle's scripts run unmodified.

    Needs pwsh and the project's venv (both from .ci/install-tools). Nothing outside a temp
    folder is touched. Exit code 0 when every step did what it shows; 1 otherwise.

.EXAMPLE
    .tools/pwsh/pwsh -NoProfile -File examples/Demo.ps1
#>
[CmdletBinding()]
param()

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot '../tests/powershell/sim/SimulatedWindows.ps1')
. (Join-Path $PSScriptRoot '../tests/powershell/TestHelpers.ps1')

function Write-Step {
    param([string] $Text)
    Write-Output ''
    Write-Output "=== $Text"
}

function Show-Rules {
    <# What `netsh interface portproxy show v4tov4` and the firewall would list. #>
    $proxy = Get-SimPortProxy
    if ($null -eq $proxy -or $proxy.Count -eq 0) { Write-Output 'portproxy: no rules' }
    else {
        $rows = foreach ($key in $proxy.Keys | Sort-Object { [int] ($_ -split '/')[1] }) {
            $listen, $port = $key -split '/'
            $address, $connectPort = $proxy[$key] -split '/'
            [pscustomobject]@{ 'Listen on' = "${listen}:$port"; 'Connect to' = "${address}:$connectPort" }
        }
        ($rows | Format-Table -AutoSize | Out-String -Width 120).TrimEnd()
    }
    $firewall = Get-SimFirewall
    if ($firewall.Count -eq 0) { Write-Output 'firewall: no rules' }
    else {
        $rows = foreach ($name in $firewall.Keys | Sort-Object) {
            $rule = $firewall[$name]
            [pscustomobject]@{ 'Firewall rule' = $rule.DisplayName; Ports = $rule.LocalPort; From = $rule.RemoteAddress -join ',' }
        }
        ($rows | Format-Table -AutoSize | Out-String -Width 120).TrimEnd()
    }
}

function Wait-Rule {
    param([string] $Key, [string] $Target, [int] $Seconds = 15)
    $deadline = (Get-Date).AddSeconds($Seconds)
    while ((Get-Date) -lt $deadline) {
        if ((Get-SimPortProxy)[$Key] -eq $Target) { return }
        Start-Sleep -Milliseconds 100
    }
    throw "the rule $Key did not point at $Target within $Seconds s"
}

$repo = Split-Path $PSScriptRoot
$started = Get-Date
$exitCode = 1
try {
    Write-Step 'wsl-portproxy generate examples/inventory.yaml'
    $inventory = Get-Content -Raw -LiteralPath (Join-Path $repo 'examples/inventory.yaml')
    $dist = New-TestBundle -Inventory $inventory
    Get-ChildItem -LiteralPath (Join-Path $dist 'WEB-01') -Name | ForEach-Object { "  WEB-01/$_" }

    Write-Step 'A fresh Windows Server 2022 named WEB-01: WSL 2 (podman-machine-default at 172.28.241.140), no rules yet'
    $null = New-SimulatedWindows -ComputerName 'WEB-01'
    # Inside WSL something answers on every forwarded port (for -Status's end-to-end check): containers
    # on 80, 443 and 5432, programs of the distribution itself on 9000-9010; metrics publishes 9100,
    # which the inventory does not forward. -Status tells that drift apart from its verdict.
    Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(80, 443, 5432) + (9000..9010) }
    Set-SimContainer ([ordered]@{
            web = @((New-SimPublish -HostPort 80), (New-SimPublish -HostPort 443))
            db = @(New-SimPublish -HostPort 5432); metrics = @(New-SimPublish -HostPort 9100)
        })
    'Containers: web publishes 80 and 443, db 5432, metrics 9100 (not in the inventory);'
    '9000-9010 are served by programs of the distribution itself, not by a container.'
    Write-SimState 'credential.json' @{ Password = 'demo-password' }   # what the admin types at the prompt
    Show-Rules

    Write-Step '.\Install-WslPortProxy.ps1   (elevated, in the bundle folder)'
    & (Join-Path $dist 'WEB-01/Install-WslPortProxy.ps1') | Format-List | Out-String -Width 120 | ForEach-Object { $_.Trim() }
    if ($LASTEXITCODE -ne 0) { throw "the installer exited with $LASTEXITCODE" }
    Show-Rules

    Write-Step 'wsl --shutdown; WSL comes back with a new address (172.28.250.9)'
    $restarted = Get-Date
    Restart-SimWsl -NewIp '172.28.250.9'
    Wait-Rule -Key '0.0.0.0/80' -Target '172.28.250.9/80'
    Wait-Rule -Key '192.168.0.12/5432' -Target '172.28.250.9/5432'
    'The task''s watcher rewrote every rule in {0:N1} s, in place. Its log:' -f ((Get-Date) - $restarted).TotalSeconds
    $deadline = (Get-Date).AddSeconds(15)
    do {   # the watcher logs its summary line once the reconcile is over
        Start-Sleep -Milliseconds 100
        $log = @((Get-UpdateLog) -split "`r?`n" | Where-Object { $_ })
        $from = @(0..($log.Count - 1) | Where-Object { $log[$_] -match 'Reconciling: WSL stopped' })[-1]
        $summary = @($log[$from..($log.Count - 1)] | Where-Object { $_ -match '\] Applied: ' })
    } until ($summary.Count -gt 0 -or (Get-Date) -gt $deadline)
    @($log[$from..($from + 2)]) + '  ...' + $summary | ForEach-Object { "  $_" }
    Show-Rules

    Write-Step 'Update-WslPortProxy.ps1 -Status   (the installed script)'
    $update = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/Update-WslPortProxy.ps1'
    (& $update -Status | Format-Table -AutoSize | Out-String -Width 160).TrimEnd()
    if ($LASTEXITCODE -ne 0) { throw "-Status exited with $LASTEXITCODE" }

    Write-Step '.\Uninstall-WslPortProxy.ps1'
    & (Join-Path $dist 'WEB-01/Uninstall-WslPortProxy.ps1') | Format-List | Out-String -Width 120 | ForEach-Object { $_.Trim() }
    if ($LASTEXITCODE -ne 0) { throw "the uninstaller exited with $LASTEXITCODE" }
    Show-Rules
    if ((Get-SimPortProxy).Count -or (Get-SimFirewall).Count) { throw 'rules are left after uninstalling' }

    Write-Step ('Done in {0:N1} s.' -f ((Get-Date) - $started).TotalSeconds)
    $exitCode = 0
}
catch {
    Write-Output "demo failed: $($_.Exception.Message)"
}
finally {
    Remove-SimulatedWindows
    if ($dist) { Remove-Item -LiteralPath (Split-Path $dist) -Recurse -Force -ErrorAction SilentlyContinue }
}
exit $exitCode

<#
    Shared setup of the unit suite (unit/*.Tests.ps1): imports the WslPortProxy module under test
    and loads the simulated Windows for the cmdlets the module calls, and the tests' helpers. The module is the
    repository's, or the copy WSLPP_MODULE names (the mutation smoke test points it at a mutated
    copy; tests/test_powershell.py).
#>
. (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
. (Join-Path $PSScriptRoot '../TestHelpers.ps1')
$global:WslppModuleUnderTest = $env:WSLPP_MODULE
if (-not $global:WslppModuleUnderTest) {
    $global:WslppModuleUnderTest = Join-Path $PSScriptRoot '../../../runtime/WslPortProxy/WslPortProxy.psd1'
}
Import-Module -Name $global:WslppModuleUnderTest -Force

function global:New-TestSettings {
    <# A valid settings table, with Overrides replacing top-level keys. #>
    param([hashtable] $Overrides = @{})
    $settings = @{
        SchemaVersion = 4; Generator = 'wsl-portproxy test'; Server = 'WEB-01'; Distro = 'podman-machine-default'
        RunAs = 'CORP\svc-podman'; Start = 'boot'; PodmanMachine = $true; WaitForWslSeconds = 2; RecheckSeconds = 300
        KeepAlive = $true; CommandTimeoutSeconds = @{ Wsl = 120; Podman = 300; Netsh = 60 }; InstallDirectory = '%ProgramData%\WslPortProxy'; MetricsFile = $null; FirewallProfiles = @('Domain', 'Private'); AutoPorts = $null
        Ports = @(
            @{ ListenAddress = '0.0.0.0'; ListenPort = 80; LastListenPort = 80; ConnectPort = 80; AllowFrom = @('LocalSubnet') },
            @{ ListenAddress = '0.0.0.0'; ListenPort = 9000; LastListenPort = 9002; ConnectPort = 9100; AllowFrom = @() }
        )
    }
    foreach ($key in $Overrides.Keys) { $settings[$key] = $Overrides[$key] }
    return $settings
}

function global:Get-UnitBundle {
    <#
        The bundle folder of WEB-01 (run as CORP\svc-podman, port 80) that unit tests read: generated
        once per Pester run (a temp folder, not TestDrive) and never changed by a test.
    #>
    $bundle = Get-Variable -Name WslppUnitBundle -Scope Global -ValueOnly -ErrorAction SilentlyContinue
    if (-not $bundle -or -not (Test-Path -LiteralPath $bundle)) {
        $dist = New-TestBundle -Inventory "servers:`n  - name: WEB-01`n    run_as: CORP\svc-podman`n    wait_for_wsl: 2s`n    ports: [80]`n"
        $bundle = Join-Path $dist 'WEB-01'
        Set-Variable -Name WslppUnitBundle -Scope Global -Value $bundle
    }
    return $bundle
}

function global:New-UnitCredential {
    <# A credential for the task account (or User), with a password nothing checks. #>
    param([string] $User = 'CORP\svc-podman')
    New-Object System.Management.Automation.PSCredential -ArgumentList $User, (ConvertTo-SecureString 'pw' -AsPlainText -Force)
}

function global:New-TestStream {
    <# A stream over fixed text; the process stand-in has ended with ExitCode. #>
    param([string] $Text, [string] $Errors = '', [int] $ExitCode = 125)
    $reader = New-Object System.IO.StringReader $Text
    $process = [pscustomobject]@{ HasExited = $true; ExitCode = $ExitCode }
    $process | Add-Member -MemberType ScriptMethod -Name WaitForExit -Value { param($Milliseconds) $true }
    [pscustomobject]@{
        Process = $process; Reader = $reader; Pending = $reader.ReadLineAsync()
        Errors = [System.Threading.Tasks.Task]::FromResult($Errors); Started = Get-Date; Command = 'podman events'
    }
}

function global:Get-TestFirewallSpec {
    <# The firewall rule spec the module builds for port 80, allowed from Allow. #>
    param([string] $Allow = 'LocalSubnet')
    $port = @{ ListenAddress = '0.0.0.0'; ListenPort = 80; LastListenPort = 80; ConnectPort = 80; AllowFrom = @($Allow) }
    InModuleScope WslPortProxy -Parameters @{ Port = $port } { param($Port) ConvertTo-FirewallRuleSpec -Port @($Port) }
}

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

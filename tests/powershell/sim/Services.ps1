<#
    Services (services.json) and the CIM classes the module queries.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:Get-Service {
    [CmdletBinding()] param([Parameter(Mandatory)] [string] $Name)
    $services = Read-SimState 'services.json' @{}
    if (-not $services.ContainsKey($Name)) { Write-Error "Cannot find any service with service name '$Name'."; return }
    return [pscustomobject]@{ Name = $Name; Status = $services[$Name].Status; StartType = $services[$Name].StartType }
}

function global:Set-Service {
    [CmdletBinding(SupportsShouldProcess)] param([Parameter(Mandatory)] [string] $Name, [string] $StartupType)
    $services = Read-SimState 'services.json' @{}
    Add-SimCall "Set-Service $Name -StartupType $StartupType"
    $services[$Name].StartType = $StartupType
    Write-SimState 'services.json' $services
}

function global:Start-Service {
    [CmdletBinding(SupportsShouldProcess)] param([Parameter(Mandatory)] [string] $Name)
    $services = Read-SimState 'services.json' @{}
    # RefuseStart: the service fails to start; the message is Start-Service's own (ServiceCommandException).
    if ($services[$Name].ContainsKey('RefuseStart') -and $services[$Name].RefuseStart) {
        throw "Service '$Name' cannot be started due to the following error: Cannot start service $Name on computer '.'."
    }
    Add-SimCall "Start-Service $Name"
    $services[$Name].Status = 'Running'
    if (-not $services[$Name].ContainsKey('ProcessId')) { $services[$Name].ProcessId = 2872 }
    Write-SimState 'services.json' $services
}

function global:Get-CimInstance {
    <#
        Win32_Service (a CIM query): Name, State, ProcessId (0 when the service is stopped; services
        sharing a svchost share its PID: Microsoft Docs, Win32_Service class). -Filter "Prop='value'" only.
        Win32_OperatingSystem: LastBootUpTime. Win32_LogonSession, Win32_LoggedOnUser: Get-SimLogonInstance.
    #>
    [CmdletBinding()] param([string] $ClassName, [string] $Filter)
    Add-SimQuery "Get-CimInstance $ClassName $Filter"
    if ($ClassName -in 'Win32_LogonSession', 'Win32_LoggedOnUser') { return Get-SimLogonInstance -ClassName $ClassName -Filter $Filter }
    if ($ClassName -eq 'Win32_OperatingSystem') {
        # LastBootUpTime (Microsoft Docs, Win32_OperatingSystem): windows.json's boot, else a fixed morning.
        $windows = Read-SimState 'windows.json' @{}
        $boot = '2026-11-28T06:00:00Z'
        if ($windows.ContainsKey('boot')) { $boot = $windows.boot }
        return [pscustomobject]@{ LastBootUpTime = [datetime]::Parse($boot, [cultureinfo]::InvariantCulture, 'AdjustToUniversal').ToLocalTime() }
    }
    if ($ClassName -ne 'Win32_Service') { throw "The simulated Windows has no CIM class $ClassName." }
    $services = Read-SimState 'services.json' @{}
    foreach ($name in $services.Keys | Sort-Object) {
        $service = $services[$name]
        $processId = 0
        if ($service.Status -eq 'Running' -and $service.ContainsKey('ProcessId')) { $processId = [int] $service.ProcessId }
        $state = 'Stopped'
        if ($service.Status -eq 'Running') { $state = 'Running' }
        $item = [pscustomobject]@{ Name = $name; State = $state; ProcessId = $processId }
        if ($Filter -match "^(\w+)='([^']*)'$" -and "$($item.($Matches[1]))" -ne $Matches[2]) { continue }
        $item
    }
}

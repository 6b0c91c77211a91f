<#
    The Application event log: sources and entries (eventsources.json, eventlog.txt).

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:New-EventLog {
    [CmdletBinding()] param([string] $LogName, [string] $Source)
    $sources = Read-SimState 'eventsources.json' @{}
    $sources[$Source] = $LogName
    Write-SimState 'eventsources.json' $sources
}

function global:Remove-EventLog {
    [CmdletBinding()] param([string] $Source)
    $sources = Read-SimState 'eventsources.json' @{}
    $sources.Remove($Source)
    Write-SimState 'eventsources.json' $sources
}

function global:Write-EventLog {
    <#
        Like Windows: fails when the source is not registered, and refuses a message longer than 31,839
        characters. Global, so a test can take it away (PowerShell 7 has none).

        The limit: ReportEventW, "Each string is limited to 31,839 characters"
        (https://learn.microsoft.com/en-us/windows/win32/api/winbase/nf-winbase-reporteventw), which
        Windows PowerShell 5.1's Write-EventLog reaches through EventLog.WriteEntry. Measured failures
        start lower: 31,718 characters on Windows 10 (dotnet/dotnet-api-docs PR #9999), 31,701 on
        Windows 11 22H2 (serilog/serilog-sinks-eventlog PR #41): so the module must shorten well below
        the documented limit, and this stand-in models only the documented one.
        The wording: .NET Framework's EventLogInternal.InternalWriteEvent throws this ArgumentException
        (resource LogEntryTooLong, text as quoted in aspnet/Logging issue #305) only above 32,766
        characters; between the two limits ReportEvent itself fails, with a Win32 error whose wording
        was not checked. The simulation gives .NET's wording to both.
    #>
    [CmdletBinding()] param([string] $LogName, [string] $Source, [int] $EventId, [string] $EntryType, [string] $Message)
    if (-not (Read-SimState 'eventsources.json' @{}).ContainsKey($Source)) {
        throw "The source name ""$Source"" does not exist on computer ""localhost""."
    }
    if ($Message.Length -gt 31839) {
        throw [System.ArgumentException]::new(
            'Log entry string is too long. A string written to the event log cannot exceed 32766 characters.')
    }
    Add-Content -LiteralPath (Join-Path $global:WslppSim.State 'eventlog.txt') -Value "$EventId $EntryType $Message"
}

function global:Get-SimEvent {
    $path = Join-Path $global:WslppSim.State 'eventlog.txt'
    if (-not (Test-Path $path)) { return @() }
    return @(Get-Content -LiteralPath $path)
}

# The run log (a rotated file under <install>\logs) and the Application event log.

function Open-RunLog {
    <#
    .SYNOPSIS
        A log for one run or watcher: the file under Directory, rotated at MaxBytes.
    .DESCRIPTION
        Returns the logger object every logging function takes. It holds state: when the file
        cannot be written, Path becomes $null (console and event log only); when the event log
        refuses a write, Events becomes $false (warned about once). With NoFile (-WhatIf) it
        writes no file at all.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [ValidateRange(65536, 1073741824)] [int] $MaxBytes = 1048576,
        [switch] $NoFile
    )
    $log = [pscustomobject]@{
        PSTypeName = 'WslPortProxy.Log'
        Path       = $null
        MaxBytes   = $MaxBytes
        Events     = ($null -ne (Get-Command -Name 'Write-EventLog' -ErrorAction SilentlyContinue)) -and -not $NoFile
        NoFile     = [bool] $NoFile
    }
    if ($NoFile) {
        return $log
    }
    try {
        if (-not (Test-Path -LiteralPath $Directory -PathType Container)) {
            New-Item -Path $Directory -ItemType Directory -Force -WhatIf:$false -ErrorAction Stop | Out-Null
        }
        if (-not (Test-Path -LiteralPath $Directory -PathType Container)) {
            throw (New-Failure -ExitCode 1 -ErrorId 'LogFolder' -Message 'a file of that name is in the way')
        }
        $log.Path = Join-Path -Path $Directory -ChildPath 'Update-WslPortProxy.log'
    }
    catch {
        Write-Warning -Message ("Cannot create the log folder $Directory, logging to the console and event log " +
            "only: $($_.Exception.Message)")
    }
    return $log
}

function Write-LogEvent {
    <#
    .SYNOPSIS
        Writes an Application event (source WslPortProxy, registered by the installer).
    .DESCRIPTION
        Windows PowerShell 5.1 has Write-EventLog; PowerShell 7 does not: then only the log file.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [Parameter(Mandatory)] [int] $EventId,
        [Parameter(Mandatory)] [ValidateSet('Information', 'Warning', 'Error')] [string] $EntryType,
        [Parameter(Mandatory)] [string] $Message
    )
    if (-not $Log.Events) {
        return
    }
    try {
        Write-EventLog -LogName 'Application' -Source $script:WslppEventSource -EventId $EventId `
            -EntryType $EntryType -Message $Message -ErrorAction Stop
    }
    catch {
        $Log.Events = $false
        Write-Log -Log $Log -Level WARN -Message ("Cannot write to the Application event log (is the source " +
            "$($script:WslppEventSource) registered?): $($_.Exception.Message)")
    }
}

function Invoke-LogRotation {
    <#
    .SYNOPSIS
        Keeps the log under MaxBytes: .log -> .1.log -> ... -> .4.log, the oldest dropped.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param([Parameter(Mandatory)] [pscustomobject] $Log)
    $item = Get-Item -LiteralPath $Log.Path -ErrorAction SilentlyContinue
    if ($null -eq $item -or $item.Length -lt $Log.MaxBytes) {
        return
    }
    $base = $Log.Path.Substring(0, $Log.Path.Length - 4)
    Remove-Item -LiteralPath "$base.$($script:WslppLogKeep).log" -Force -ErrorAction SilentlyContinue -WhatIf:$false
    for ($index = $script:WslppLogKeep - 1; $index -ge 1; $index--) {
        if (Test-Path -LiteralPath "$base.$index.log") {
            Move-Item -LiteralPath "$base.$index.log" -Destination "$base.$($index + 1).log" -Force -WhatIf:$false
        }
    }
    Move-Item -LiteralPath $Log.Path -Destination "$base.1.log" -Force -WhatIf:$false -ErrorAction Stop
}

function Write-Log {
    <#
    .SYNOPSIS
        Writes a line to the log file and to the verbose or warning stream; warnings become events.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [Parameter(Mandatory)] [string] $Message,
        [ValidateSet('INFO', 'WARN', 'ERROR')] [string] $Level = 'INFO'
    )
    if ($Level -eq 'INFO') {
        Write-Verbose -Message $Message
    }
    elseif ($Level -eq 'WARN') {
        Write-Warning -Message $Message
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Warning -EntryType Warning -Message $Message
    }
    if ($null -eq $Log.Path) {
        return
    }
    $line = '{0} [{1}] {2}' -f (Get-Date -Format 'yyyy-MM-ddTHH:mm:ss.fffzzz'), $Level, $Message
    try {
        Invoke-LogRotation -Log $Log
        Add-Content -LiteralPath $Log.Path -Value $line -Encoding UTF8 -WhatIf:$false -ErrorAction Stop
    }
    catch {
        $Log.Path = $null
        Write-Warning -Message ("Cannot write the log file, logging to the console and event log only: " +
            "$($_.Exception.Message)")
    }
}

# The run log (a rotated file under <install>\logs), the Application event log and its event source,
# and how a failed run is logged.

function Open-RunLog {
    <#
    .SYNOPSIS
        A log for one run or watcher: the file under Directory, rotated at MaxBytes.
    .DESCRIPTION
        Returns the logger object every logging function takes. It holds state: when the folder
        cannot be created, Path is $null (console and event log only); a line that cannot be
        written is skipped and counted in Skipped (the next line is tried again); an event the
        event log refuses is skipped and counted in EventsSkipped (the next event is tried again);
        Recent remembers throttled events; Warned, per topic, the last warning given (to give a
        repeated one once). With NoFile (-WhatIf) it writes no file and no event at all.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [ValidateRange(65536, 1073741824)] [int] $MaxBytes = 1048576,
        [switch] $NoFile
    )
    $log = [pscustomobject]@{
        PSTypeName    = 'WslPortProxy.Log'
        Path          = $null
        MaxBytes      = $MaxBytes
        Events        = ($null -ne (Get-Command -Name 'Write-EventLog' -ErrorAction SilentlyContinue)) -and -not $NoFile
        NoFile        = [bool] $NoFile
        Skipped       = 0
        EventsSkipped = 0
        Recent        = @{}
        Warned        = @{}
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

function Get-EventText {
    <#
    .SYNOPSIS
        An event's message: Message itself, or when longer than WslppEventMaxChars its start and where the rest is.
    .DESCRIPTION
        ReportEvent documents 31,839 characters per string and real writes fail from about 31,700, so a
        longer message (a watcher with a few hundred failing ports) is cut to WslppEventMaxChars in all,
        ending with its length and the log file (LogPath) that has all of it.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Message,
        [string] $LogPath
    )
    if ($Message.Length -le $script:WslppEventMaxChars) {
        return $Message
    }
    $tail = "... (shortened from $($Message.Length) characters"
    if ($LogPath) {
        $tail += "; the whole message is in $LogPath"
    }
    $tail += ')'
    return $Message.Substring(0, $script:WslppEventMaxChars - $tail.Length) + $tail
}

function Write-LogEvent {
    <#
    .SYNOPSIS
        Writes an Application event (source WslPortProxy, registered by the installer).
    .DESCRIPTION
        Windows PowerShell 5.1 has Write-EventLog; PowerShell 7 does not: then only the log file.
        With Throttle, an event this logger (a watcher) already wrote with the same id, Topic and
        text within a day is not written again (warnings on different topics share event 2000, so
        each topic keeps its own memory). A change (1000) or a failure (3000) is a new outcome:
        it clears that memory, so the next throttled event is written again. A long message is
        shortened (Get-EventText). An event the event log refuses is skipped with one warning in
        the log per outage, and the next one (the same one too, if throttled) is tried again;
        the first written afterwards is preceded by a warning saying how many were lost.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [Parameter(Mandatory)] [int] $EventId,
        [Parameter(Mandatory)] [ValidateSet('Information', 'Warning', 'Error')] [string] $EntryType,
        [Parameter(Mandatory)] [string] $Message,
        [switch] $Throttle,
        [string] $Topic = ''
    )
    $key = '{0}/{1}' -f $EventId, $Topic
    if ($EventId -in @($script:WslppEventIds.Applied, $script:WslppEventIds.Failure)) {
        $Log.Recent.Clear()
    }
    $now = Get-Date
    $last = $Log.Recent[$key]
    if ($Throttle -and $null -ne $last -and $last.Message -eq $Message -and ($now - $last.Time).TotalDays -lt 1) {
        return
    }
    if ($Throttle) {
        $Log.Recent[$key] = [pscustomobject]@{ Message = $Message; Time = $now }
    }
    if (-not $Log.Events) {
        return
    }
    try {
        Write-EventLog -LogName 'Application' -Source $script:WslppEventSource -EventId $EventId `
            -EntryType $EntryType -Message (Get-EventText -Message $Message -LogPath $Log.Path) -ErrorAction Stop
    }
    catch {
        if ($Log.EventsSkipped -eq 0) {
            Write-Log -Log $Log -Level WARN -NoEvent -Message ("Cannot write to the Application event log (this " +
                "event is skipped, the next is tried again; is the source $($script:WslppEventSource) registered?): " +
                $_.Exception.Message)
        }
        $Log.EventsSkipped++
        if ($Throttle) {
            $Log.Recent.Remove($key)   # not written: the same event is tried again next time
        }
        return
    }
    if ($Log.EventsSkipped -gt 0) {
        Write-Log -Log $Log -Level WARN -NoEvent -Message ("$($Log.EventsSkipped) event(s) could not be written to " +
            'the Application event log.')
        $Log.EventsSkipped = 0
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
    .DESCRIPTION
        A line that cannot be written is skipped (one warning per outage) and the next line is
        tried again: logging never stops for the rest of a watcher's life. The first line written
        after an outage says how many were lost. NoEvent: a warning for the log only (the caller
        writes one event for several).
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [Parameter(Mandatory)] [string] $Message,
        [ValidateSet('INFO', 'WARN', 'ERROR')] [string] $Level = 'INFO',
        [switch] $NoEvent
    )
    if ($Level -eq 'INFO') {
        Write-Verbose -Message $Message
    }
    elseif ($Level -eq 'WARN') {
        Write-Warning -Message $Message
        if (-not $NoEvent) {
            Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Warning -EntryType Warning -Message $Message
        }
    }
    if ($null -eq $Log.Path) {
        return
    }
    $stamp = Get-Date -Format 'yyyy-MM-ddTHH:mm:ss.fffzzz'
    $lines = @('{0} [{1}] {2}' -f $stamp, $Level, $Message)
    if ($Log.Skipped -gt 0) {
        $lines = @('{0} [WARN] {1} log line(s) could not be written.' -f $stamp, $Log.Skipped) + $lines
    }
    try {
        Invoke-LogRotation -Log $Log
        Add-Content -LiteralPath $Log.Path -Value $lines -Encoding UTF8 -WhatIf:$false -ErrorAction Stop
        $Log.Skipped = 0
    }
    catch {
        if ($Log.Skipped -eq 0) {
            Write-Warning -Message ("Cannot write the log file $($Log.Path) (this line is skipped; the next is tried " +
                "again): $($_.Exception.Message)")
        }
        $Log.Skipped++
    }
}

function Write-Failure {
    <#
    .SYNOPSIS
        Logs a failed run (log file, event 3000) and returns its exit code and message.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $code = Get-FailureExitCode -ErrorRecord $ErrorRecord
    $message = "Failed (exit code $code): $($ErrorRecord.Exception.Message)"
    if ($code -eq 1) {
        $message += " At: $($ErrorRecord.InvocationInfo.PositionMessage)"
    }
    Write-Log -Log $Log -Level ERROR -Message $message
    Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Failure -EntryType Error -Message $message
    return [pscustomobject]@{ ExitCode = $code; Message = $message }
}

function Register-EventSource {
    <#
    .SYNOPSIS
        Registers the event source the task writes to (Windows PowerShell 5.1; PowerShell 7 has none).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param()
    if ($null -eq (Get-Command -Name 'New-EventLog' -ErrorAction SilentlyContinue)) {
        Write-Warning -Message ('New-EventLog is not available (PowerShell 7): the task will log to its log file ' +
            'only. Run the installer in Windows PowerShell 5.1 to get events.')
        return
    }
    if ($PSCmdlet.ShouldProcess('Application event log', "Register the event source $($script:WslppEventSource)")) {
        New-EventLog -LogName 'Application' -Source $script:WslppEventSource -ErrorAction SilentlyContinue
    }
}

function Unregister-EventSource {
    <#
    .SYNOPSIS
        Removes the event source (its past events then lose their text).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param()
    if ($null -ne (Get-Command -Name 'Remove-EventLog' -ErrorAction SilentlyContinue) -and
        $PSCmdlet.ShouldProcess('Application event log', "Remove the event source $($script:WslppEventSource)")) {
        Remove-EventLog -Source $script:WslppEventSource -ErrorAction SilentlyContinue
    }
}

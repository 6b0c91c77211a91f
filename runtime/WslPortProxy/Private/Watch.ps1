# Watch mode: reconcile, then wait for WSL to restart, a container to change or the re-check timer,
# and reconcile again, until stopped; the run result the installer waits for; backing off.

function Get-BackoffSeconds {
    <#
    .SYNOPSIS
        How long to wait before attempt Attempt+1: Base, doubled per attempt, at most Maximum.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)] [ValidateRange(1, [int]::MaxValue)] [int] $Attempt,
        [Parameter(Mandatory)] [int] $Base,
        [Parameter(Mandatory)] [int] $Maximum
    )
    $seconds = [double] $Base * [Math]::Pow(2, [Math]::Min($Attempt - 1, 20))
    return [int] [Math]::Min($seconds, [Math]::Max($Base, $Maximum))
}

function Wait-WslChange {
    <#
    .SYNOPSIS
        Waits until the keep-alive ends (WSL stopped or restarted), a container changes (the
        engine's event stream), the stream ends, or Seconds pass (0: no timer).
    .DESCRIPTION
        Waits on all of them at once, a quarter of a second at a time, so a stopped task ends
        promptly: on the event stream's pending line when there is one (Task.Wait), else
        on the keep-alive process; the others are looked at after each wait. Returns the reason
        it woke: 'WSL stopped ...', 'containers changed (...)', 'the container event stream
        ended: ...' or 'periodic re-check'.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [AllowNull()] [System.Diagnostics.Process] $KeepAlive,
        [Parameter(Mandatory)] [int] $Seconds,
        [AllowNull()] [pscustomobject] $EventStream
    )
    $deadline = (Get-Date).AddSeconds($Seconds)
    while ($true) {
        if ($null -ne $EventStream) {
            $received = Receive-EngineEvent -Stream $EventStream -Milliseconds 250
            if ($null -ne $KeepAlive -and $KeepAlive.HasExited) {
                return 'WSL stopped or restarted (the keep-alive process ended)'
            }
            if ($null -ne $received -and $received.Ended) {
                return "the container event stream ended: $($received.Message)"
            }
            if ($null -ne $received -and $received.Events.Count -gt 0) {
                return "containers changed ($($received.Events -join ', '))"
            }
        }
        elseif ($null -ne $KeepAlive) {
            if ($KeepAlive.WaitForExit(250)) {
                return 'WSL stopped or restarted (the keep-alive process ended)'
            }
        }
        else {
            Start-Sleep -Milliseconds 250
        }
        if ($Seconds -gt 0 -and (Get-Date) -ge $deadline) {
            return 'periodic re-check'
        }
    }
}

function Save-RunResult {
    <#
    .SYNOPSIS
        Writes last-run.json: the result of the watcher's latest reconcile (the installer waits for it).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [int] $ExitCode,
        [Parameter(Mandatory)] [string] $Message
    )
    $path = Join-Path -Path $Directory -ChildPath 'last-run.json'
    if (-not $PSCmdlet.ShouldProcess($path, 'Record the run result')) {
        return
    }
    $ticks = (Get-Date).ToUniversalTime().Ticks
    $result = [pscustomobject]@{ exitCode = $ExitCode; utcTicks = $ticks; message = $Message }
    try {
        Set-Content -LiteralPath $path -Value ($result | ConvertTo-Json) -Encoding UTF8 -ErrorAction Stop
    }
    catch {
        Write-Warning -Message "Cannot record the run result: $($_.Exception.Message)"
    }
}

function New-WatchState {
    <#
    .SYNOPSIS
        The watcher's state, which its steps read and update: one object instead of a dozen loop variables.
    .DESCRIPTION
        Wsl: wsl.exe (set once the watcher found it). Reason: why the next reconcile runs. Address:
        WSL's address after the last good reconcile. Failures: failed reconciles in a row. Restarts:
        the WSL restarts seen (for the metrics). KeepAlive, KeepAliveSince: the keep-alive process and
        when it started. EarlyExits: keep-alives in a row that ended early. Follow: whether the
        container events are followed (auto_ports from podman). Stream, StreamFailures, StreamRetryAt:
        the event stream, its failures in a row, and when it may start again. Ceiling: the longest
        backoff (RecheckSeconds, or an hour without a re-check).
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [pscustomobject] $Settings)
    $ceiling = $Settings.RecheckSeconds
    if ($ceiling -le 0) {
        $ceiling = 3600
    }
    return [pscustomobject]@{
        PSTypeName     = 'WslPortProxy.WatchState'
        Wsl            = $null
        Reason         = 'watcher started'
        Address        = $null
        Failures       = 0
        Restarts       = 0
        KeepAlive      = $null
        KeepAliveSince = Get-Date
        EarlyExits     = 0
        Follow         = $null -ne $Settings.AutoPorts -and $Settings.AutoPorts.From -eq 'podman'
        Stream         = $null
        StreamFailures = 0
        StreamRetryAt  = Get-Date
        Ceiling        = $ceiling
    }
}

function Invoke-WatchReconcile {
    <#
    .SYNOPSIS
        The watcher's reconcile, under the reconcile lock; returns whether it succeeded.
    .DESCRIPTION
        Logs why it runs and its result, records it for the installer (Save-RunResult; a failure also
        as event 3000, Write-Failure) and rewrites the metrics file with the automatic rules of a good
        run. Updates the state: Address, Failures (0 after a success), and Restarts (without a
        keep-alive, a new address is how a restart shows).
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $State,
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    # The loop branches on this function's one output: nothing else may reach the pipeline.
    $null = Write-Log -Log $Log -Message "Reconciling: $($State.Reason)."
    $succeeded = $true
    $result = $null
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        $result = Invoke-LockedReconcile -Settings $Settings -Log $Log
        if (-not $Settings.KeepAlive -and $State.Address -and $result.Address -ne $State.Address) {
            $State.Restarts++   # without a keep-alive, a new address is how a restart shows
        }
        $State.Address = $result.Address
        $null = Write-Log -Log $Log -Message $result.Message
        $null = Save-RunResult -Directory $Settings.InstallDirectory -ExitCode 0 -Message $result.Message
        $State.Failures = 0
    }
    catch {
        $succeeded = $false
        $State.Failures++
        $failure = Write-Failure -ErrorRecord $_ -Log $Log
        $null = Save-RunResult -Directory $Settings.InstallDirectory -ExitCode $failure.ExitCode `
            -Message $failure.Message
    }
    $known = $null   # after a failure, WSL's address is not known
    $automatic = @()
    if ($succeeded) {
        $known = $State.Address
        $automatic = @($result.Automatic)
    }
    $effective = Merge-AutomaticRule -Settings $Settings -Rule $automatic
    $null = Update-MetricsFile -Settings $effective -Address $known -Success $succeeded -Log $Log `
        -DurationSeconds $clock.Elapsed.TotalSeconds -Restarts $State.Restarts
    return [bool] $succeeded
}

function Step-EventStreamRetry {
    <#
    .SYNOPSIS
        Counts one more event stream failure in a row and sets when the stream may start again; returns
        the seconds until then ($script:WslppEventRetrySeconds, doubling per failure up to the Ceiling).
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param([Parameter(Mandatory)] [pscustomobject] $State)
    $State.StreamFailures++
    $backoff = Get-BackoffSeconds -Attempt $State.StreamFailures -Base $script:WslppEventRetrySeconds `
        -Maximum $State.Ceiling
    $State.StreamRetryAt = (Get-Date).AddSeconds($backoff)
    return $backoff
}

function Start-WatchEventStream {
    <#
    .SYNOPSIS
        The one place the watcher starts the container event stream; returns whether it started it.
    .DESCRIPTION
        Does nothing (returns $false) when the watcher does not follow the events, already has a
        stream, or must still wait for its backoff (StreamRetryAt). Before a reconcile, a failure is
        only logged: a machine the reconcile is about to start cannot be followed yet, and is tried
        again after it. With -CountFailure (after a good reconcile) it counts (Step-EventStreamRetry):
        the next try waits, with the periodic re-check until then.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'A step of the watcher: Start-EngineEventStream asks ShouldProcess.')]
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $State,
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [switch] $CountFailure
    )
    if (-not $State.Follow -or $null -ne $State.Stream -or (Get-Date) -lt $State.StreamRetryAt) {
        return $false
    }
    try {
        $State.Stream = Start-EngineEventStream -Settings $Settings -Log $Log
        return $true
    }
    catch {
        if (-not $CountFailure) {
            Write-Log -Log $Log -Message "Not following the container events yet: $($_.Exception.Message)"
            return $false
        }
        $backoff = Step-EventStreamRetry -State $State
        Write-Log -Log $Log -Level WARN -Message ("Cannot follow the container events " +
            "($($_.Exception.Message)); trying again in $backoff s, until then the periodic re-check.")
        return $false
    }
}

function Stop-WatchEventStream {
    <#
    .SYNOPSIS
        After the event stream ended (Reason): ends its process, forgets it, and sets when to follow again.
    .DESCRIPTION
        A stream that lived a minute or more starts its failure count afresh; the wait before the next
        start is Step-EventStreamRetry's, with the periodic re-check until then.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'A step of the watcher: Stop-EngineEventStream asks ShouldProcess.')]
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $State,
        [Parameter(Mandatory)] [string] $Reason,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    if (((Get-Date) - $State.Stream.Started).TotalSeconds -ge 60) {
        $State.StreamFailures = 0
    }
    $backoff = Step-EventStreamRetry -State $State
    Write-Log -Log $Log -Level WARN -Message ("$Reason. Following the events again in $backoff s; until " +
        'then the periodic re-check.')
    Stop-EngineEventStream -Stream $State.Stream   # its output ended; the process may not have
    $State.Stream = $null
}

function Get-WatchWait {
    <#
    .SYNOPSIS
        How many seconds the watcher waits for a change before it reconciles anyway (0: no timer).
    .DESCRIPTION
        RecheckSeconds; after failed reconciles (Failures in a row), $script:WslppRetrySeconds doubling
        per failure up to the Ceiling, logged; and never past the moment the event stream may start
        again, when the events are followed but no stream runs.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $State,
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $wait = $Settings.RecheckSeconds
    if ($State.Failures -gt 0) {
        $wait = Get-BackoffSeconds -Attempt $State.Failures -Base $script:WslppRetrySeconds -Maximum $State.Ceiling
        Write-Log -Log $Log -Message "Trying again in $wait s (failure $($State.Failures) in a row)."
    }
    if ($State.Follow -and $null -eq $State.Stream) {   # wake up to start the event stream again
        $retry = [Math]::Max(1, [int] [Math]::Ceiling(($State.StreamRetryAt - (Get-Date)).TotalSeconds))
        if ($wait -le 0 -or $retry -lt $wait) {
            $wait = $retry
        }
    }
    return $wait
}

function Invoke-Watch {
    <#
    .SYNOPSIS
        Reconciles, then keeps WSL up and reconciles again whenever it restarts; runs until stopped.
    .DESCRIPTION
        A keep-alive process inside the distribution keeps WSL (and the address) up; when it ends,
        WSL stopped or restarted, and the watcher reconciles at once. It also re-checks every
        RecheckSeconds. A failed reconcile is logged and retried after $script:WslppRetrySeconds,
        doubling per failure up to RecheckSeconds (Get-WatchWait); so is a keep-alive that ends within
        $script:WslppQuickExitSeconds of its start, with WSL's address unchanged, twice or more in a
        row (Get-KeepAliveBackoff: one warning per wait, not a flood of 1003). A keep-alive that lived
        longer, or a new address, is a real restart: reconciled at once.
        While an admin's pause lasts (Update-WslPortProxy -Pause) it neither reconciles nor
        keeps WSL up. One watcher per server: a second one returns at once. After every
        reconcile, Update-MetricsFile rewrites the settings' MetricsFile (if any), with the WSL
        restarts counted here (Invoke-WatchReconcile). With auto_ports from podman it follows the
        container events (podman events) and reconciles as soon as a container starts, stops, dies or
        is removed; when the stream ends it reconciles (events may have been missed), falls back to the
        periodic re-check and starts the stream again after $script:WslppEventRetrySeconds s,
        doubling per failure up to RecheckSeconds (a stream that lived a minute starts afresh:
        Start-WatchEventStream, Stop-WatchEventStream). The steps share one New-WatchState object.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $watchLock = Enter-Lock -Name 'Watch' -Directory $Settings.InstallDirectory
    if ($null -eq $watchLock) {
        Write-Log -Log $Log -Message 'Another watcher is already running for this server; this one exits.'
        return
    }
    $directory = $Settings.InstallDirectory
    $state = $null
    try {
        $state = New-WatchState -Settings $Settings
        $state.Wsl = Find-WslProgram
        Stop-KeepAlive -WslPath $state.Wsl -Directory $directory -Log $Log
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Watching -EntryType Information `
            -Message "Watching WSL distribution $($Settings.Distro) for server $($Settings.Server)."
        while ($true) {
            $until = Get-WatcherPause -Directory $directory
            if ($null -ne $until) {
                Write-Log -Log $Log -Message ("Paused until $($until.ToLocalTime().ToString('yyyy-MM-dd HH:mm')) " +
                    '(local time): not reconciling, not keeping WSL up (-Resume ends the pause).')
                Wait-WatcherPause -Directory $directory -Until $until
                $state.Reason = 'the pause ended'
                continue
            }
            # Before the reconcile: a change between the two is then seen twice, never missed.
            $null = Start-WatchEventStream -State $state -Settings $Settings -Log $Log
            if (Invoke-WatchReconcile -State $state -Settings $Settings -Log $Log) {
                $moved = Start-WatchKeepAlive -State $state -Settings $Settings -Log $Log
                if ($moved) {
                    $state.Reason = $moved
                    continue
                }
                if (Start-WatchEventStream -State $state -Settings $Settings -Log $Log -CountFailure) {
                    $state.Reason = 'the container event stream started'   # what changed before it is not missed
                    continue
                }
            }
            $wait = Get-WatchWait -State $state -Settings $Settings -Log $Log
            $state.Reason = Wait-WslChange -KeepAlive $state.KeepAlive -Seconds $wait -EventStream $state.Stream
            if ($state.Reason -like 'the container event stream ended*') {
                Stop-WatchEventStream -State $state -Reason $state.Reason -Log $Log
            }
            if ($state.Reason -notlike 'WSL stopped*') {
                continue
            }
            $state.Restarts++
            $backoff = Get-KeepAliveBackoff -State $state -Settings $Settings -Log $Log
            if ($backoff -eq 0) {
                Write-LogEvent -Log $Log -EventId $script:WslppEventIds.WslRestarted -EntryType Information `
                    -Message "WSL distribution $($Settings.Distro) stopped or restarted; reconciling."
                continue
            }
            $null = Wait-WslChange -KeepAlive $null -Seconds $backoff
            $state.Reason = 'the keep-alive ended early; trying again'
        }
    }
    finally {
        $stream = $null
        $keepAlive = $null
        if ($null -ne $state) {
            $stream = $state.Stream
            $keepAlive = $state.KeepAlive
        }
        Stop-EngineEventStream -Stream $stream
        Stop-KeepAlive -Process $keepAlive -Directory $directory -Log $Log
        Exit-Lock -Lock $watchLock
        Write-Log -Log $Log -Message 'Watcher stopped.'
    }
}

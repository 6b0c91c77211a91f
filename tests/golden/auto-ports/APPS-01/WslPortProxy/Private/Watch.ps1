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

function Invoke-Watch {
    <#
    .SYNOPSIS
        Reconciles, then keeps WSL up and reconciles again whenever it restarts; runs until stopped.
    .DESCRIPTION
        A keep-alive process inside the distribution keeps WSL (and the address) up; when it ends,
        WSL stopped or restarted, and the watcher reconciles at once. It also re-checks every
        RecheckSeconds. A failed reconcile is logged and retried after $script:WslppRetrySeconds,
        doubling per failure up to RecheckSeconds; so is a keep-alive that ends within
        $script:WslppQuickExitSeconds of its start, with WSL's address unchanged, twice or more in a
        row (one warning per wait, not a flood of 1003). A keep-alive that lived longer, or a new
        address, is a real restart: reconciled at once.
        While an admin's pause lasts (Update-WslPortProxy -Pause) it neither reconciles nor
        keeps WSL up. One watcher per server: a second one returns at once. After every
        reconcile, Update-MetricsFile rewrites the settings' MetricsFile (if any), with the WSL
        restarts counted here. With auto_ports from podman it follows the container events
        (podman events) and reconciles as soon as a container starts, stops, dies or is removed;
        when the stream ends it reconciles (events may have been missed), falls back to the
        periodic re-check and starts the stream again after $script:WslppEventRetrySeconds s,
        doubling per failure up to RecheckSeconds (a stream that lived a minute starts afresh).
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
    $keepAlive = $null
    $stream = $null   # the container event stream (auto_ports from podman)
    $ceiling = $Settings.RecheckSeconds
    if ($ceiling -le 0) {
        $ceiling = 3600
    }
    try {
        $wsl = Find-WslProgram
        Stop-KeepAlive -WslPath $wsl -Directory $directory -Log $Log
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Watching -EntryType Information `
            -Message "Watching WSL distribution $($Settings.Distro) for server $($Settings.Server)."
        $reason = 'watcher started'
        $address = $null
        $failures = 0
        $earlyExits = 0
        $restarts = 0
        $keepAliveSince = Get-Date
        $follow = $null -ne $Settings.AutoPorts -and $Settings.AutoPorts.From -eq 'podman'
        $streamFailures = 0
        $streamRetryAt = Get-Date
        while ($true) {
            $until = Get-WatcherPause -Directory $directory
            if ($null -ne $until) {
                Write-Log -Log $Log -Message ("Paused until $($until.ToLocalTime().ToString('yyyy-MM-dd HH:mm')) " +
                    '(local time): not reconciling, not keeping WSL up (-Resume ends the pause).')
                Wait-WatcherPause -Directory $directory -Until $until
                $reason = 'the pause ended'
                continue
            }
            if ($follow -and $null -eq $stream -and (Get-Date) -ge $streamRetryAt) {
                # Before the reconcile: a change between the two is then seen twice, never missed. A
                # machine the reconcile is about to start cannot be followed yet: tried again after it.
                try {
                    $stream = Start-EngineEventStream -Settings $Settings -Log $Log
                }
                catch {
                    Write-Log -Log $Log -Message "Not following the container events yet: $($_.Exception.Message)"
                }
            }
            Write-Log -Log $Log -Message "Reconciling: $reason."
            $succeeded = $true
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            try {
                $result = Invoke-LockedReconcile -Settings $Settings -Log $Log
                if (-not $Settings.KeepAlive -and $address -and $result.Address -ne $address) {
                    $restarts++   # without a keep-alive, a new address is how a restart shows
                }
                $address = $result.Address
                Write-Log -Log $Log -Message $result.Message
                Save-RunResult -Directory $directory -ExitCode 0 -Message $result.Message
                $failures = 0
            }
            catch {
                $succeeded = $false
                $failures++
                $failure = Write-Failure -ErrorRecord $_ -Log $Log
                Save-RunResult -Directory $directory -ExitCode $failure.ExitCode -Message $failure.Message
            }
            $known = $null   # after a failure, WSL's address is not known
            $automatic = @()
            if ($succeeded) {
                $known = $address
                $automatic = @($result.Automatic)
            }
            $effective = Merge-AutomaticRule -Settings $Settings -Rule $automatic
            Update-MetricsFile -Settings $effective -Address $known -Success $succeeded -Log $Log `
                -DurationSeconds $clock.Elapsed.TotalSeconds -Restarts $restarts
            if ($Settings.KeepAlive -and $succeeded -and ($null -eq $keepAlive -or $keepAlive.HasExited)) {
                $keepAlive = Start-KeepAlive -WslPath $wsl -Distro $Settings.Distro -Directory $directory -Log $Log
                $keepAliveSince = Get-Date
                # WSL may have restarted while we reconciled, before the keep-alive could see it.
                $now = $null
                try {
                    $now = Get-WslAddress -WslPath $wsl -Distro $Settings.Distro -TimeoutSeconds 0 -Log $Log `
                        -CommandTimeout $Settings.CommandTimeouts.Wsl
                }
                catch {
                    Write-Log -Log $Log -Level WARN -Message "Cannot confirm the WSL address: $($_.Exception.Message)"
                }
                if ($now -ne $address) {
                    $reason = "WSL changed its address to $now during the reconcile"
                    continue
                }
            }
            if ($follow -and $succeeded -and $null -eq $stream -and (Get-Date) -ge $streamRetryAt) {
                try {
                    $stream = Start-EngineEventStream -Settings $Settings -Log $Log
                    $reason = 'the container event stream started'   # what changed before it is not missed
                    continue
                }
                catch {
                    $streamFailures++
                    $backoff = Get-BackoffSeconds -Attempt $streamFailures -Base $script:WslppEventRetrySeconds `
                        -Maximum $ceiling
                    $streamRetryAt = (Get-Date).AddSeconds($backoff)
                    Write-Log -Log $Log -Level WARN -Message ("Cannot follow the container events " +
                        "($($_.Exception.Message)); trying again in $backoff s, until then the periodic re-check.")
                }
            }
            $wait = $Settings.RecheckSeconds
            if (-not $succeeded) {
                $wait = Get-BackoffSeconds -Attempt $failures -Base $script:WslppRetrySeconds -Maximum $ceiling
                Write-Log -Log $Log -Message "Trying again in $wait s (failure $failures in a row)."
            }
            if ($follow -and $null -eq $stream) {   # wake up to start the event stream again
                $retry = [Math]::Max(1, [int] [Math]::Ceiling(($streamRetryAt - (Get-Date)).TotalSeconds))
                if ($wait -le 0 -or $retry -lt $wait) {
                    $wait = $retry
                }
            }
            $reason = Wait-WslChange -KeepAlive $keepAlive -Seconds $wait -EventStream $stream
            if ($reason -like 'the container event stream ended*') {
                if (((Get-Date) - $stream.Started).TotalSeconds -ge 60) {
                    $streamFailures = 0
                }
                $streamFailures++
                $backoff = Get-BackoffSeconds -Attempt $streamFailures -Base $script:WslppEventRetrySeconds `
                    -Maximum $ceiling
                $streamRetryAt = (Get-Date).AddSeconds($backoff)
                Write-Log -Log $Log -Level WARN -Message ("$reason. Following the events again in $backoff s; until " +
                    'then the periodic re-check.')
                Stop-EngineEventStream -Stream $stream   # its output ended; the process may not have
                $stream = $null
            }
            if ($reason -notlike 'WSL stopped*') {
                continue
            }
            $restarts++
            $lived = ((Get-Date) - $keepAliveSince).TotalSeconds
            $earlyExits++
            if ($lived -ge $script:WslppQuickExitSeconds -or (Test-WslMoved -WslPath $wsl -Settings $Settings `
                        -Address $address -Log $Log)) {
                $earlyExits = 0
            }
            if ($earlyExits -le 1) {
                # A long-lived keep-alive, a new address, or a first early end: a real restart.
                Write-LogEvent -Log $Log -EventId $script:WslppEventIds.WslRestarted -EntryType Information `
                    -Message "WSL distribution $($Settings.Distro) stopped or restarted; reconciling."
                continue
            }
            $backoff = Get-BackoffSeconds -Attempt ($earlyExits - 1) -Base $script:WslppRetrySeconds -Maximum $ceiling
            Write-Log -Log $Log -Level WARN -Message ("The keep-alive process ended $([int] $lived) s after it " +
                "started (exit code $($keepAlive.ExitCode)), $(Get-CountWord -Count $earlyExits) in a row; waiting " +
                "$backoff s before trying again.")
            $null = Wait-WslChange -KeepAlive $null -Seconds $backoff
            $reason = 'the keep-alive ended early; trying again'
        }
    }
    finally {
        Stop-EngineEventStream -Stream $stream
        Stop-KeepAlive -Process $keepAlive -Directory $directory -Log $Log
        Exit-Lock -Lock $watchLock
        Write-Log -Log $Log -Message 'Watcher stopped.'
    }
}

# Locks, the keep-alive process, failures and watch mode.

function Get-LockFolderProblem {
    <#
    .SYNOPSIS
        Why the lock folder cannot be trusted: Reason ('' when it can) and whether Repairable.
    .DESCRIPTION
        A link, or an owner other than Administrators or SYSTEM, is not repairable: someone else
        made it. Any Allow entry for another SID (whatever its rights: opening a lock file with
        FileShare.None needs only read access) is repairable: the installer resets the ACLs of
        everything in the install folder, which gives the task's account read/execute here too.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [string] $Path)
    $reason = Get-UnsafeReason -Path $Path
    if ($reason) {
        return [pscustomobject]@{ Reason = $reason; Repairable = $false }
    }
    foreach ($ace in @(Get-AllowEntry -Sddl "$((Get-Acl -LiteralPath $Path).Sddl)")) {
        if ($ace.Sid -notmatch '^(BA|SY|S-1-5-32-544|S-1-5-18)$') {   # Administrators and SYSTEM alone
            return [pscustomobject]@{ Reason = "it lets $($ace.Sid) open its files"; Repairable = $true }
        }
    }
    return [pscustomobject]@{ Reason = ''; Repairable = $false }
}

function Protect-LockFolder {
    <#
    .SYNOPSIS
        Only Administrators and SYSTEM may open the lock folder or any file in it.
    .DESCRIPTION
        Administrators own it; inheritance is cut and full control granted to Administrators and
        SYSTEM only, on the folder and on each file already in it (icacls /L: a link is changed
        itself, never its target).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param([Parameter(Mandatory)] [string] $Path)
    if (-not $PSCmdlet.ShouldProcess($Path, 'Let only Administrators and SYSTEM open the lock files')) {
        return
    }
    $items = @($Path) + @(Get-ChildItem -LiteralPath $Path -Force | ForEach-Object -Process { $_.FullName })
    foreach ($item in $items) {
        $grant = @('*S-1-5-32-544:F', '*S-1-5-18:F')
        if ($item -eq $Path) {
            $grant = @('*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F')
        }
        Invoke-Icacls -ArgumentList @($item, '/setowner', '*S-1-5-32-544', '/L', '/Q')
        Invoke-Icacls -ArgumentList (@($item, '/inheritance:r', '/grant:r') + $grant + @('/L', '/Q'))
    }
}

function Initialize-LockFolder {
    <#
    .SYNOPSIS
        The lock folder <install folder>\locks, which only Administrators and SYSTEM may open.
    .DESCRIPTION
        Created (with the install folder, when there is none yet) and locked when missing; an ACL
        that lets others in is locked again. A folder someone else made (a link, or not owned by
        Administrators or SYSTEM) is never used: that is a failure with ExitCode, ErrorId
        LockFolderUnsafe, naming the folder and why. Returns the folder's path.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [int] $ExitCode = 8
    )
    $folder = Join-Path -Path $Directory -ChildPath 'locks'
    if (-not (Test-Path -LiteralPath $folder)) {
        New-Item -Path $folder -ItemType Directory -Force -WhatIf:$false | Out-Null
        Protect-LockFolder -Path $folder -WhatIf:$false
    }
    $problem = Get-LockFolderProblem -Path $folder
    if ($problem.Repairable) {
        Write-Verbose -Message "Locking the lock folder $folder again: $($problem.Reason)."
        Protect-LockFolder -Path $folder -WhatIf:$false
        $problem = Get-LockFolderProblem -Path $folder
    }
    if ($problem.Reason -or -not (Test-Path -LiteralPath $folder -PathType Container)) {
        $reason = $problem.Reason
        if (-not $reason) {
            $reason = 'it is not a folder'
        }
        $message = "The lock folder $folder cannot be trusted ($reason): someone else could hold the locks and " +
            'stop every reconcile. Nothing was changed. An administrator should look at it, delete it, and run ' +
            'this again.'
        throw (New-Failure -ExitCode $ExitCode -ErrorId 'LockFolderUnsafe' -Message $message -Category SecurityError)
    }
    return $folder
}

function Test-LockBusy {
    <#
    .SYNOPSIS
        Whether opening a lock file failed because another handle holds it (wait), not for good.
    .DESCRIPTION
        A sharing violation is an IOException (ERROR_SHARING_VIOLATION); access denied
        (UnauthorizedAccessException: not elevated), a missing folder or a path too long is not.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [System.Exception] $Exception)
    return $Exception -is [System.IO.IOException] -and $Exception -isnot [System.IO.FileNotFoundException] -and
        $Exception -isnot [System.IO.DirectoryNotFoundException] -and $Exception -isnot [System.IO.PathTooLongException]
}

function Enter-Lock {
    <#
    .SYNOPSIS
        Takes a server's lock ('Watch': one watcher; 'Reconcile': one reconcile at a time).
    .DESCRIPTION
        A lock is the file <Name>.lock in the lock folder (Initialize-LockFolder), held open with
        FileShare.None: only Administrators and SYSTEM can open it at all, so no other user can
        hold it. Returns the open file when taken within TimeoutSeconds, else $null. When its
        holder ends, even killed, Windows closes the handle and the lock is free.
    #>
    [CmdletBinding()]
    [OutputType([System.IO.FileStream])]
    param(
        [Parameter(Mandatory)] [ValidateSet('Watch', 'Reconcile')] [string] $Name,
        [Parameter(Mandatory)] [string] $Directory,
        [int] $TimeoutSeconds = 0
    )
    $path = Join-Path -Path (Initialize-LockFolder -Directory $Directory) -ChildPath "$Name.lock"
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    while ($true) {
        try {
            return [System.IO.File]::Open($path, [System.IO.FileMode]::OpenOrCreate,
                [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)
        }
        catch {
            $cause = $_.Exception.GetBaseException()
            if (-not (Test-LockBusy -Exception $cause)) {
                $message = "Cannot open the lock file $path ($($cause.Message)). Run elevated."
                throw (New-Failure -ExitCode 8 -ErrorId 'LockDenied' -Message $message -Category PermissionDenied)
            }
        }
        if ((Get-Date) -ge $deadline) {
            return $null
        }
        Start-Sleep -Milliseconds 250
    }
}

function Exit-Lock {
    <#
    .SYNOPSIS
        Lets go of a lock taken with Enter-Lock (nothing for $null).
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param([AllowNull()] [System.IO.FileStream] $Lock)
    if ($null -ne $Lock) {
        $Lock.Dispose()
    }
}

function Invoke-LockedReconcile {
    <#
    .SYNOPSIS
        One reconcile under the server's reconcile lock, so that two runs never interleave (else exit 8).
    .DESCRIPTION
        Under -WhatIf, which changes nothing, no lock is taken (nor its folder made).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [switch] $Remove
    )
    if ($WhatIfPreference) {
        return Invoke-Reconcile -Settings $Settings -Log $Log -Remove:$Remove
    }
    $lock = Enter-Lock -Name 'Reconcile' -Directory $Settings.InstallDirectory `
        -TimeoutSeconds ($Settings.WaitForWslSeconds + 300)
    if ($null -eq $lock) {
        $message = 'Another run has been reconciling this server for too long; giving up.'
        throw (New-Failure -ExitCode 8 -ErrorId 'LockTimeout' -Message $message -Category ResourceBusy)
    }
    try {
        return Invoke-Reconcile -Settings $Settings -Log $Log -Remove:$Remove
    }
    finally {
        Exit-Lock -Lock $lock
    }
}

function Start-KeepAlive {
    <#
    .SYNOPSIS
        A process inside the distribution that never ends: while it runs, WSL stays up.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([System.Diagnostics.Process])]
    param(
        [Parameter(Mandatory)] [string] $WslPath,
        [Parameter(Mandatory)] [string] $Distro,
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    if (-not $PSCmdlet.ShouldProcess("WSL distribution $Distro", 'Start a keep-alive process')) {
        return $null
    }
    $arguments = @('--distribution', $Distro, '--exec', 'sleep', 'infinity')
    $process = Start-Process -FilePath $WslPath -ArgumentList $arguments -NoNewWindow -PassThru
    $pidFile = Join-Path -Path $Directory -ChildPath 'keepalive.pid'
    Set-Content -LiteralPath $pidFile -Value $process.Id -ErrorAction SilentlyContinue
    Write-Log -Log $Log -Message "Keep-alive started (process $($process.Id))."
    return $process
}

function Stop-KeepAlive {
    <#
    .SYNOPSIS
        Ends the keep-alive: the process given, or the one keepalive.pid names (a killed watcher's).
    .DESCRIPTION
        The recorded process is stopped only if it still runs WslPath: its number may belong to
        another program by now.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [AllowNull()] [System.Diagnostics.Process] $Process,
        [AllowNull()] [string] $WslPath,
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $pidFile = Join-Path -Path $Directory -ChildPath 'keepalive.pid'
    $target = $Process
    if ($null -eq $target -and $WslPath) {
        $recorded = Get-Content -LiteralPath $pidFile -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($recorded -match '^\d+$') {
            $target = Get-Process -Id ([int] $recorded) -ErrorAction SilentlyContinue
            if ($null -ne $target -and $target.Path -ne $WslPath) {
                $target = $null
            }
        }
    }
    if (-not $PSCmdlet.ShouldProcess('the keep-alive process', 'Stop')) {
        return
    }
    if ($null -ne $target -and -not $target.HasExited) {
        Stop-Process -Id $target.Id -Force -ErrorAction SilentlyContinue
        Write-Log -Log $Log -Message "Keep-alive stopped (process $($target.Id))."
    }
    Remove-Item -LiteralPath $pidFile -Force -ErrorAction SilentlyContinue
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

function Test-WslMoved {
    <#
    .SYNOPSIS
        Whether WSL now has another address than Address (one wsl.exe call): a real restart.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)] [string] $WslPath,
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [AllowNull()] [AllowEmptyString()] [string] $Address,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    try {
        $now = Get-WslAddress -WslPath $WslPath -Distro $Settings.Distro -TimeoutSeconds 0 -Log $Log `
            -CommandTimeout $Settings.CommandTimeouts.Wsl
        return $now -ne $Address
    }
    catch {
        Write-Log -Log $Log -Message "Cannot ask WSL for its address: $($_.Exception.Message)"
        return $false
    }
}

function Get-CountWord {
    <#
    .SYNOPSIS
        'twice', 'three times', ... for a log line.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [int] $Count)
    if ($Count -eq 2) {
        return 'twice'
    }
    return "$Count times"
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

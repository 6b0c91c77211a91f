# The keep-alive: a process inside the distribution that never ends, so that WSL (and its address)
# stays up; when it ends, WSL stopped or restarted. One that keeps ending soon after its start,
# with WSL's address unchanged, flaps: the watcher backs off instead of reconciling at once.

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

function Start-WatchKeepAlive {
    <#
    .SYNOPSIS
        After a good reconcile: starts the keep-alive when the settings want one and none runs; returns
        why to reconcile again at once, or '' (WSL kept its address, or nothing was started).
    .DESCRIPTION
        WSL may have restarted while the watcher reconciled, before the keep-alive could see it: its
        address is asked once more (a failed question is a warning, and counts as a new address).
        Updates the state's KeepAlive and KeepAliveSince.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'A step of the watcher: Start-KeepAlive asks ShouldProcess.')]
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $State,
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    if (-not $Settings.KeepAlive -or ($null -ne $State.KeepAlive -and -not $State.KeepAlive.HasExited)) {
        return ''
    }
    $State.KeepAlive = Start-KeepAlive -WslPath $State.Wsl -Distro $Settings.Distro `
        -Directory $Settings.InstallDirectory -Log $Log
    $State.KeepAliveSince = Get-Date
    $now = $null
    try {
        $now = Get-WslAddress -WslPath $State.Wsl -Distro $Settings.Distro -TimeoutSeconds 0 -Log $Log `
            -CommandTimeout $Settings.CommandTimeouts.Wsl
    }
    catch {
        Write-Log -Log $Log -Level WARN -Message "Cannot confirm the WSL address: $($_.Exception.Message)"
    }
    if ($now -ne $State.Address) {
        return "WSL changed its address to $now during the reconcile"
    }
    return ''
}

function Get-KeepAliveBackoff {
    <#
    .SYNOPSIS
        After the keep-alive ended: 0 for a real restart (reconcile at once), else how many seconds to
        wait because it flaps (logged as a warning).
    .DESCRIPTION
        A keep-alive that lived $script:WslppQuickExitSeconds or more, or a new WSL address
        (Test-WslMoved), is a real restart; so is a first early end. Each early end in a row after
        that waits $script:WslppRetrySeconds, doubling up to the state's Ceiling. Counts the early
        ends in the state's EarlyExits.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $State,
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $lived = ((Get-Date) - $State.KeepAliveSince).TotalSeconds
    $State.EarlyExits++
    if ($lived -ge $script:WslppQuickExitSeconds -or (Test-WslMoved -WslPath $State.Wsl -Settings $Settings `
                -Address $State.Address -Log $Log)) {
        $State.EarlyExits = 0
    }
    if ($State.EarlyExits -le 1) {
        return 0   # a long-lived keep-alive, a new address, or a first early end: a real restart
    }
    $backoff = Get-BackoffSeconds -Attempt ($State.EarlyExits - 1) -Base $script:WslppRetrySeconds `
        -Maximum $State.Ceiling
    Write-Log -Log $Log -Level WARN -Message ("The keep-alive process ended $([int] $lived) s after it " +
        "started (exit code $($State.KeepAlive.ExitCode)), $(Get-CountWord -Count $State.EarlyExits) in a row; " +
        "waiting $backoff s before trying again.")
    return $backoff
}

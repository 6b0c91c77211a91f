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

# Pausing the watcher, so that an admin's wsl --shutdown or wsl --update is not undone at once.
# A pause always ends: at its time, at -Resume, or at the next reboot.

function Get-BootTime {
    <#
    .SYNOPSIS
        When Windows last started (UTC): a pause recorded before that time has ended.
    #>
    [CmdletBinding()]
    [OutputType([datetime])]
    param()
    $system = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
    return ([datetime] $system.LastBootUpTime).ToUniversalTime()
}

function Get-WatcherPause {
    <#
    .SYNOPSIS
        Until when (UTC) the watcher is paused, or $null: no pause, an expired one, or one from before the last boot.
    #>
    [CmdletBinding()]
    [OutputType([datetime])]
    param([Parameter(Mandatory)] [string] $Directory)
    $path = Join-Path -Path $Directory -ChildPath 'pause.json'
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        return $null
    }
    try {
        $pause = Get-Content -LiteralPath $path -Raw -Encoding UTF8 -ErrorAction Stop | ConvertFrom-Json
        $until = New-Object -TypeName System.DateTime -ArgumentList ([long] $pause.untilUtcTicks), 'Utc'
        $bootTicks = [long] $pause.bootUtcTicks
    }
    catch {
        Write-Verbose -Message "Ignoring the unreadable pause file ${path}: $($_.Exception.Message)"
        return $null
    }
    if ($until -le (Get-Date).ToUniversalTime()) {
        return $null
    }
    if ([Math]::Abs((Get-BootTime).Ticks - $bootTicks) -gt [TimeSpan]::TicksPerSecond * 5) {
        return $null   # Windows has restarted since: a pause never survives a reboot
    }
    return $until
}

function Set-WatcherPause {
    <#
    .SYNOPSIS
        Pauses the watcher for Minutes (writes pause.json); returns until when (UTC).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([datetime])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [ValidateRange(1, 1440)] [int] $Minutes
    )
    $until = (Get-Date).ToUniversalTime().AddMinutes($Minutes)
    $path = Join-Path -Path $Directory -ChildPath 'pause.json'
    if ($PSCmdlet.ShouldProcess($path, "Pause the watcher until $($until.ToLocalTime()) (local time)")) {
        $document = [pscustomobject]@{
            untilUtcTicks = $until.Ticks; bootUtcTicks = (Get-BootTime).Ticks
            by            = "$env:USERDOMAIN\$env:USERNAME"
        }
        Set-Content -LiteralPath $path -Value ($document | ConvertTo-Json) -Encoding UTF8 -ErrorAction Stop
    }
    return $until
}

function Clear-WatcherPause {
    <#
    .SYNOPSIS
        Ends a pause (removes pause.json); returns whether the watcher was paused.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [string] $Directory)
    $paused = $null -ne (Get-WatcherPause -Directory $Directory)
    $path = Join-Path -Path $Directory -ChildPath 'pause.json'
    if ((Test-Path -LiteralPath $path) -and $PSCmdlet.ShouldProcess($path, 'Resume the watcher')) {
        Remove-Item -LiteralPath $path -Force
    }
    return $paused
}

function Wait-WatcherPause {
    <#
    .SYNOPSIS
        While the watcher is paused: checks every second until the pause ends (time, -Resume, or the file removed).
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [datetime] $Until
    )
    $path = Join-Path -Path $Directory -ChildPath 'pause.json'
    while ((Get-Date).ToUniversalTime() -lt $Until -and (Test-Path -LiteralPath $path -PathType Leaf)) {
        Start-Sleep -Seconds 1
    }
}

# The install folder cannot be planted: any user may create folders (or junctions) under
# C:\ProgramData before the installer runs, and the task runs what is in it, elevated.

function Get-UnsafeReason {
    <#
    .SYNOPSIS
        Why a path cannot be trusted to hold what the task runs elevated, or '' (also when absent).
    .DESCRIPTION
        A link (symbolic link, junction, any reparse point) can lead anywhere; an owner other than
        Administrators or SYSTEM can change what is inside. With Access, any Allow entry that lets
        someone else write, delete or change permissions counts too. Owner and entries are read
        from the SDDL (SIDs, not localized account names).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [switch] $Access
    )
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue
    if ($null -eq $item) {
        return ''
    }
    $linkType = "$($item.LinkType)"
    if ($linkType -or ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint)) {
        if (-not $linkType) {
            $linkType = 'reparse point'
        }
        return "it is a $linkType (to $(@($item.Target) -join ', '))"
    }
    $sddl = "$((Get-Acl -LiteralPath $Path).Sddl)"
    $trusted = '^(BA|SY|S-1-5-32-544|S-1-5-18)$'
    $owner = ''
    if ($sddl -match '^O:(.+?)(?=G:|D:|S:|$)') {
        $owner = $Matches[1]
    }
    if ($owner -notmatch $trusted) {
        return "it is owned by $owner, not by Administrators or SYSTEM"
    }
    if ($Access) {
        foreach ($ace in [regex]::Matches($sddl, '\(A;[^;]*;([^;]*);[^;]*;[^;]*;([^)]*)\)')) {
            $rights = $ace.Groups[1].Value
            $sid = $ace.Groups[2].Value
            if ($sid -notmatch $trusted -and (Test-WriteRight -Rights $rights)) {
                return "it lets $sid write ($rights)"
            }
        }
    }
    return ''
}

function Test-WriteRight {
    <#
    .SYNOPSIS
        Whether SDDL access rights ('FA', 'GW', '0x1200a9', ...) allow writing, deleting or re-permissioning.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [string] $Rights)
    if ($Rights -match '^0x([0-9a-fA-F]+)$') {
        # write data/add file, append/add folder, write EA, delete child, write attributes, delete,
        # write DAC, write owner, generic all, generic write
        return ([Convert]::ToInt64($Matches[1], 16) -band 0x500D0156) -ne 0
    }
    $letters = @(for ($index = 0; $index + 1 -lt $Rights.Length; $index += 2) { $Rights.Substring($index, 2) })
    $writing = @('FA', 'FW', 'GA', 'GW', 'WD', 'WO', 'SD', 'DC', 'CC', 'WP')
    return @($letters | Where-Object -FilterScript { $_ -in $writing }).Count -gt 0
}

function Move-PlantedItem {
    <#
    .SYNOPSIS
        Renames an untrusted folder or link aside ('<name>.planted-<time>'), never following a link.
    .DESCRIPTION
        Returns the new path. What was there is kept for an administrator to look at; nothing is
        read from it or written into it.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Reason
    )
    $name = '{0}.planted-{1}' -f (Split-Path -Path $Path -Leaf), (Get-Date).ToUniversalTime().ToString('yyyyMMddHHmmss')
    if (-not $PSCmdlet.ShouldProcess($Path, "Move aside to $name ($Reason)")) {
        return $null
    }
    Rename-Item -LiteralPath $Path -NewName $name -Force
    $aside = Join-Path -Path (Split-Path -Path $Path -Parent) -ChildPath $name
    Write-Warning -Message "$Path was moved aside to $aside because $Reason; a fresh folder is used instead."
    return $aside
}

function Protect-InstallDirectory {
    <#
    .SYNOPSIS
        Only Administrators and SYSTEM may write the install folder; the task's account may read it.
    .DESCRIPTION
        Makes Administrators the owner, drops every explicit and inherited entry, then grants full
        control to Administrators and SYSTEM and read/execute to the task's account: the task runs
        elevated, so a script others could change would be a privilege escalation. icacls runs
        with /L, so a link inside is changed itself, never its target.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Account
    )
    if (-not $PSCmdlet.ShouldProcess($Path, 'Restrict write access to Administrators and SYSTEM')) {
        return
    }
    Invoke-Icacls -ArgumentList @($Path, '/setowner', '*S-1-5-32-544', '/T', '/C', '/L', '/Q')
    Invoke-Icacls -ArgumentList @($Path, '/reset', '/T', '/C', '/L', '/Q')
    Invoke-Icacls -ArgumentList @($Path, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F',
        '*S-1-5-18:(OI)(CI)F', "${Account}:(OI)(CI)RX", '/L', '/Q')
}

function Initialize-InstallDirectory {
    <#
    .SYNOPSIS
        A trusted, locked install folder (and logs folder), before anything is copied into it.
    .DESCRIPTION
        An existing folder that is a link or not owned by Administrators or SYSTEM is moved aside
        and a fresh one created; then the folder is locked (Protect-InstallDirectory). The same
        holds for its logs folder, and for any link among the log files. Returns the paths moved
        aside.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Account
    )
    if (-not $PSCmdlet.ShouldProcess($Path, 'Make sure the install folder is trusted, and lock it')) {
        return
    }
    $reason = Get-UnsafeReason -Path $Path
    if ($reason) {
        Move-PlantedItem -Path $Path -Reason $reason
    }
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) {
        New-Item -Path $Path -ItemType Directory -Force | Out-Null
    }
    $logs = Join-Path -Path $Path -ChildPath 'logs'
    $reason = Get-UnsafeReason -Path $logs
    if ($reason) {
        Move-PlantedItem -Path $logs -Reason $reason
    }
    foreach ($file in @(Get-ChildItem -LiteralPath $logs -Force -ErrorAction SilentlyContinue)) {
        $reason = Get-UnsafeReason -Path $file.FullName
        if ($reason) {
            Move-PlantedItem -Path $file.FullName -Reason $reason
        }
    }
    Protect-InstallDirectory -Path $Path -Account $Account
}

function Assert-InstallDirectory {
    <#
    .SYNOPSIS
        After copying: the install folder is still no link, owned by Administrators or SYSTEM, and
        writable by nobody else; else exit 11 (the task is not registered).
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param([Parameter(Mandatory)] [string] $Path)
    $reason = Get-UnsafeReason -Path $Path -Access
    if ($reason) {
        $message = "The install folder $Path is not safe after copying ($reason), so the task was not registered. " +
            'Check who else manages this folder, then run the installer again.'
        throw (New-Failure -ExitCode 11 -ErrorId 'InstallFolderUnsafe' -Message $message -Category SecurityError)
    }
}

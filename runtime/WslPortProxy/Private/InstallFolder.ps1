# The install folder cannot be planted: any user may create folders (or junctions) under
# C:\ProgramData before the installer runs, and the task runs what is in it, elevated. Every parent
# folder must be one that only administrators may rename, and a new install folder is made locked
# (rights: Acl.ps1). The uninstaller removes it.

function Move-PlantedItem {
    <#
    .SYNOPSIS
        Renames an untrusted folder or link aside ('<name>.planted-<time>'), never following a link.
    .DESCRIPTION
        Returns the new path. What was there is kept for an administrator to look at; nothing is
        read from it or written into it. When it cannot be renamed (someone holds it open), that is
        exit 11 (InstallFolderUnsafe) naming it, before anything is installed.
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
    try {
        Rename-Item -LiteralPath $Path -NewName $name -Force -ErrorAction Stop
    }
    catch {
        $message = "$Path cannot be trusted ($Reason) and cannot be moved aside: $($_.Exception.Message) Nothing " +
            'was installed. Find what holds it open (for example with Resource Monitor), close it, and run the ' +
            'installer again.'
        throw (New-Failure -ExitCode 11 -ErrorId 'InstallFolderUnsafe' -Message $message -Category SecurityError)
    }
    $aside = Join-Path -Path (Split-Path -Path $Path -Parent) -ChildPath $name
    Write-Warning -Message "$Path was moved aside to $aside because $Reason; a fresh folder is used instead."
    return $aside
}

function Get-AncestorProblem {
    <#
    .SYNOPSIS
        Why someone other than Administrators, SYSTEM or TrustedInstaller could replace what is in
        this folder (a parent folder of the install folder), or ''.
    .DESCRIPTION
        A parent folder that is a link leads anywhere. One whose owner is someone else, or that
        lets someone else delete it (DELETE), change its permissions (WRITE_DAC) or take it
        (WRITE_OWNER), can be renamed aside and replaced by one of theirs; one that lets someone
        else delete what is in it (FILE_DELETE_CHILD) can have the next folder renamed aside.
        Creating folders in it (C:\ and C:\ProgramData let every user) is no such right. An
        inherit-only entry does not apply to the folder itself and is skipped; CREATOR OWNER
        only stands for the owner, which is checked.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Path)
    $reason = Get-UnsafeReason -Path $Path
    if ($reason -match '^it is owned by (.+), not by') {
        return "is owned by $($Matches[1]), who may change its permissions"
    }
    if ($reason) {
        return $reason.Substring(3)
    }
    $names = @{ AU = 'Authenticated Users (AU)'; BU = 'Users (BU)'; WD = 'Everyone (WD)'; IU = 'INTERACTIVE (IU)' }
    foreach ($ace in @(Get-AllowEntry -Sddl "$((Get-Acl -LiteralPath $Path).Sddl)")) {
        $rights, $sid = $ace.Rights, $ace.Sid
        if ($ace.Flags -match 'IO' -or $sid -match $script:WslppTrustedSidPattern -or $sid -in @('CO', 'OW')) {
            continue
        }
        $who = $sid
        if ($names.ContainsKey($sid)) {
            $who = $names[$sid]
        }
        $mask = ConvertTo-AccessMask -Rights $rights
        if ($mask -band 0xD0000) {
            return "lets $who delete, rename or change the permissions of it ($rights)"
        }
        if ($mask -band 0x40) {
            return "lets $who delete or rename what is in it ($rights)"
        }
    }
    return ''
}

function Assert-InstallAncestor {
    <#
    .SYNOPSIS
        Makes the missing parent folders of the install folder, then checks every parent folder
        (Get-AncestorProblem); a problem is exit 11, and the folders it made are removed again.
    .DESCRIPTION
        A new parent folder takes its permissions from its own parent (C:\Tools gets from C:\ the
        right of Authenticated Users to modify), so it is checked after it was made, as it is.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param([Parameter(Mandatory)] [string] $Path)
    $ancestors = New-Object -TypeName 'System.Collections.Generic.List[string]'
    $parent = Split-Path -Path $Path -Parent
    while ($parent) {
        $ancestors.Insert(0, $parent)
        $parent = Split-Path -Path $parent -Parent
    }
    $made = New-Object -TypeName 'System.Collections.Generic.List[string]'
    foreach ($folder in $ancestors) {
        if (-not (Test-Path -LiteralPath $folder) -and $PSCmdlet.ShouldProcess($folder, 'Create the folder')) {
            New-Item -Path $folder -ItemType Directory | Out-Null
            $made.Insert(0, $folder)
        }
        $problem = ''
        if (Test-Path -LiteralPath $folder) {
            $problem = Get-AncestorProblem -Path $folder
        }
        if ($problem) {
            foreach ($item in $made) {
                [System.IO.Directory]::Delete($item)
            }
            $message = "The install folder $Path is not safe: its parent folder $folder $problem, and whoever may " +
                'do that can replace what the task runs elevated. Nothing was installed. Choose an install folder ' +
                'whose parent folders only Administrators, SYSTEM or TrustedInstaller may change (the default ' +
                "%ProgramData%\WslPortProxy is one), or remove that right from $folder."
            throw (New-Failure -ExitCode 11 -ErrorId 'InstallFolderUnsafe' -Message $message -Category SecurityError)
        }
    }
}

function Protect-InstallDirectory {
    <#
    .SYNOPSIS
        Only Administrators and SYSTEM may write the folder; the task's account may read it.
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
    Set-InstallDirectoryAcl -Path $Path -Account $Account
}

function Set-InstallDirectoryAcl {
    <#
    .SYNOPSIS
        The install folder's own, protected DACL: full control for Administrators and SYSTEM,
        read/execute for the task's account, nothing inherited.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Account
    )
    if ($PSCmdlet.ShouldProcess($Path, 'Set the permissions: Administrators and SYSTEM only')) {
        Invoke-Icacls -ArgumentList @($Path, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F',
            '*S-1-5-18:(OI)(CI)F', "${Account}:(OI)(CI)RX", '/L', '/Q')
    }
}

function Get-InstallFolderProblem {
    <#
    .SYNOPSIS
        Whether the folder is exactly as the installer leaves it, else why not ('' when it is).
    .DESCRIPTION
        The folder: no link, owned by Administrators or SYSTEM, its own protected DACL (nothing
        inherited) that lets no one else write. Every folder and file in it (walked without
        following a link): no link, owned by Administrators or SYSTEM, writable by no one else.
        The one link allowed is the watcher's own podman-wsl\Microsoft\WindowsApps\wsl.exe to
        the WSL package's wsl.exe (Get-PodmanWslFolder).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Path)
    $reason = Get-UnsafeReason -Path $Path -Access
    if ($reason) {
        return $reason
    }
    if ("$((Get-Acl -LiteralPath $Path).Sddl)" -notmatch 'D:P') {
        return 'its permissions are inherited from its parent folder, not the ones the installer sets'
    }
    # The one link the watcher makes itself (Get-PodmanWslFolder): to the WSL package's wsl.exe.
    $podmanLink = [System.IO.Path]::Combine([string[]] @($Path, 'podman-wsl', 'Microsoft', 'WindowsApps', 'wsl.exe'))
    $package = Join-Path -Path (Join-Path -Path (Get-EnvironmentFolder -Name 'ProgramFiles') -ChildPath 'WSL') `
        -ChildPath 'wsl.exe'
    $pending = New-Object -TypeName 'System.Collections.Generic.Queue[string]'
    $pending.Enqueue($Path)
    while ($pending.Count -gt 0) {
        foreach ($item in @(Get-ChildItem -LiteralPath $pending.Dequeue() -Force)) {
            if ($item.FullName -eq $podmanLink -and "$($item.LinkType)" -eq 'SymbolicLink' -and
                "$(@($item.Target)[0])" -eq $package) {
                continue   # its folder is checked like every other: only administrators may replace it
            }
            $reason = Get-UnsafeReason -Path $item.FullName -Access
            if ($reason) {
                return "$($item.FullName.Substring($Path.Length + 1)) in it: $reason"
            }
            if ($item.PSIsContainer) {
                $pending.Enqueue($item.FullName)
            }
        }
    }
    return ''
}

function New-InstallDirectory {
    <#
    .SYNOPSIS
        Makes the install folder locked from its first moment, and moves it into place.
    .DESCRIPTION
        Windows PowerShell has no cmdlet that creates a folder with a security descriptor. So a
        staging folder '<name>.new-<random>' is made beside it, locked (Protect-InstallDirectory)
        and checked: ours, empty, nothing inherited. The install folder is then made inside it,
        where it inherits the locked DACL the moment it exists, and moved to its place: a move
        that fails if something took the name meanwhile. No one else ever had a right on it.
        Anything unexpected is exit 11; the staging folder is left for an administrator.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Account
    )
    if (-not $PSCmdlet.ShouldProcess($Path, 'Create the install folder, locked from the start')) {
        return
    }
    $name = Split-Path -Path $Path -Leaf
    $stage = Join-Path -Path (Split-Path -Path $Path -Parent) `
        -ChildPath ('{0}.new-{1}' -f $name, [guid]::NewGuid().ToString('n').Substring(0, 12))
    $inner = Join-Path -Path $stage -ChildPath $name
    $problem = ''
    try {
        New-Item -Path $stage -ItemType Directory -ErrorAction Stop | Out-Null
        Protect-InstallDirectory -Path $stage -Account $Account
        $problem = Get-InstallFolderProblem -Path $stage
        if (-not $problem -and @(Get-ChildItem -LiteralPath $stage -Force).Count -gt 0) {
            $problem = 'something was put in it while it was being locked'
        }
        if (-not $problem) {
            New-Item -Path $inner -ItemType Directory -ErrorAction Stop | Out-Null
            $problem = Get-UnsafeReason -Path $inner -Access
        }
        if (-not $problem) {
            [System.IO.Directory]::Move($inner, $Path)
        }
    }
    catch {
        $problem = $_.Exception.Message
    }
    if ($problem) {
        $message = "Could not make the install folder $Path safely ($problem), so nothing was installed: someone " +
            "else may be writing to $(Split-Path -Path $Path -Parent). The staging folder $stage was left for you " +
            'to look at; run the installer again.'
        throw (New-Failure -ExitCode 11 -ErrorId 'InstallFolderUnsafe' -Message $message -Category SecurityError)
    }
    [System.IO.Directory]::Delete($stage)
    Set-InstallDirectoryAcl -Path $Path -Account $Account
}

function Copy-CarriedState {
    <#
    .SYNOPSIS
        Brings state.json and pause.json from a folder moved aside into the new install folder,
        when that folder was an administrator's and each file is a plain, readable JSON file.
    .DESCRIPTION
        state.json holds the rules to restore; losing it would leave rules no one removes. A
        folder that someone else owned, or a link, gives nothing: what is in it may be forged.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $From,
        [Parameter(Mandatory)] [string] $To
    )
    if (Get-UnsafeReason -Path $From) {
        return
    }
    foreach ($name in 'state.json', 'pause.json') {
        $source = Join-Path -Path $From -ChildPath $name
        $item = Get-Item -LiteralPath $source -Force -ErrorAction SilentlyContinue
        if ($null -eq $item -or $item.PSIsContainer -or $item.Length -gt 4MB -or (Get-UnsafeReason -Path $source)) {
            continue
        }
        try {
            $null = Get-Content -LiteralPath $source -Raw -Encoding UTF8 -ErrorAction Stop | ConvertFrom-Json
        }
        catch {
            Write-Warning -Message "$source was not carried over: it is not valid JSON."
            continue
        }
        if ($PSCmdlet.ShouldProcess((Join-Path -Path $To -ChildPath $name), "Carry over from $From")) {
            Copy-Item -LiteralPath $source -Destination (Join-Path -Path $To -ChildPath $name)
        }
    }
}

function Initialize-InstallDirectory {
    <#
    .SYNOPSIS
        A trusted, locked install folder, before anything is copied into it.
    .DESCRIPTION
        Every parent folder is checked first (Assert-InstallAncestor). An existing folder is kept
        only when it is exactly as the installer leaves it (Get-InstallFolderProblem); anything
        else is moved aside, and a new folder is made locked from the start (New-InstallDirectory),
        with state.json and pause.json carried over from an administrator's folder.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Account
    )
    if (-not $PSCmdlet.ShouldProcess($Path, 'Make sure the install folder is trusted, and lock it')) {
        return
    }
    Assert-InstallAncestor -Path $Path
    $aside = $null
    if ($null -ne (Get-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue)) {
        $reason = Get-InstallFolderProblem -Path $Path
        if (-not $reason) {
            return
        }
        $aside = Move-PlantedItem -Path $Path -Reason $reason
    }
    New-InstallDirectory -Path $Path -Account $Account
    if ($aside) {
        Copy-CarriedState -From $aside -To $Path
    }
}

function Assert-InstallDirectory {
    <#
    .SYNOPSIS
        After copying: the install folder and everything in it are still as the installer leaves
        them (Get-InstallFolderProblem); else exit 11 (the task is not registered).
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param([Parameter(Mandatory)] [string] $Path)
    $reason = Get-InstallFolderProblem -Path $Path
    if ($reason) {
        $message = "The install folder $Path is not safe after copying ($reason), so the task was not registered. " +
            'Check who else manages this folder, then run the installer again.'
        throw (New-Failure -ExitCode 11 -ErrorId 'InstallFolderUnsafe' -Message $message -Category SecurityError)
    }
}

function Get-WriteTargetProblem {
    <#
    .SYNOPSIS
        Why the elevated watcher must not write this file (a file of its own outside the install
        folder, such as the metrics file), or ''.
    .DESCRIPTION
        Writing follows links, and replacing a file keeps the replaced file's permissions
        (learn.microsoft.com, ReplaceFile). So the file is written only into an existing folder
        owned by Administrators, SYSTEM or TrustedInstaller that no one else may write, under
        folders no one else may rename, replace or re-permission (Get-AncestorProblem: else one could
        be swapped for a link between this check and the write), with no link (reparse point) on
        its path, and only over a file that is no link and is theirs.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Path)
    $folder = Split-Path -Path $Path -Parent
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
        return "its folder $folder does not exist"
    }
    $reason = Get-UnsafeReason -Path $folder -Access
    if ($reason) {
        return "its folder $folder is not one only Administrators and SYSTEM may write: $reason"
    }
    $parent = Split-Path -Path $folder -Parent
    while ($parent) {
        $item = Get-Item -LiteralPath $parent -Force -ErrorAction SilentlyContinue
        if ($null -ne $item -and ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint)) {
            return "the folder $parent on its path is a link (reparse point)"
        }
        $problem = Get-AncestorProblem -Path $parent
        if ($problem) {
            return "the folder $parent on its path $problem"
        }
        $parent = Split-Path -Path $parent -Parent
    }
    $reason = Get-UnsafeReason -Path $Path
    if ($reason) {
        return "the file is not safe to replace: $reason"
    }
    return ''
}

function Remove-InstallDirectory {
    <#
    .SYNOPSIS
        Deletes the installed files; keeps logs\ unless Purge.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [switch] $Purge
    )
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) {
        return
    }
    $doomed = @(Get-ChildItem -LiteralPath $Path -Force | Where-Object -FilterScript { $Purge -or $_.Name -ne 'logs' })
    foreach ($item in $doomed) {
        if ($PSCmdlet.ShouldProcess($item.FullName, 'Delete')) {
            Remove-Item -LiteralPath $item.FullName -Recurse -Force
        }
    }
    if ($Purge -and $PSCmdlet.ShouldProcess($Path, 'Delete')) {
        Remove-Item -LiteralPath $Path -Recurse -Force
    }
}

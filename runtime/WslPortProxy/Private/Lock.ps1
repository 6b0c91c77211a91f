# The server's locks: the folder <install>\locks, which only Administrators and SYSTEM may open, and
# one lock file per role in it ('Watch': one watcher; 'Reconcile': one reconcile at a time).

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

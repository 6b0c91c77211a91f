<#
    Security descriptors: owners and DACLs of files and folders (acl.json).

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

# Security descriptors of the roots, as Windows leaves them (docs/windows-facts.md, row "The roots'
# security descriptors"): C:\ is TrustedInstaller's; Authenticated Users may create folders in it and, through an
# inherit-only Modify entry, delete, rename and change what is in every folder made there
# (**assumption**: no Learn page lists it; Windows Server's own notes and every default C:\ we know).
# C:\ProgramData is SYSTEM's; Users may create folders and files in every folder made in it, and the
# maker of one gets full control (CREATOR OWNER). C:\Program Files is TrustedInstaller's; Users read.
# A data volume's root (D:\, as Format leaves it) is like C:\. Nothing above the simulated C:\ exists
# on Windows: it stands for nothing and passes every check.
$global:SimTrustedInstaller = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464'
$global:SimVolumeRootDacl = '(A;OICIIO;SDGXGWGR;;;AU)(A;;LC;;;AU)(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICI;FA;;;BA)' +
    '(A;OICI;0x1200a9;;;BU)'
$global:SimProgramDataDacl = '(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;0x100116;;;BU)'
$global:SimProgramFilesDacl = "(A;;FA;;;$SimTrustedInstaller)(A;CIIO;GA;;;$SimTrustedInstaller)(A;;0x1301bf;;;SY)" +
    '(A;OICIIO;GA;;;SY)(A;;0x1301bf;;;BA)(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;OICIIO;GA;;;CO)'

function global:Get-SimInode {
    <# The file's identity: a security descriptor belongs to the file, and follows it through a rename. #>
    param([string] $Path)
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [string] $item.UnixStat.Inode
}

function global:Set-SimAcl {
    <# Gives a path its own security descriptor (owner, DACL in SDDL, whether inheritance is blocked). #>
    param([Parameter(Mandatory)] [string] $Path, [string] $Owner = 'BA', [Parameter(Mandatory)] [string] $Dacl, [switch] $Protected)
    $acls = Read-SimState 'acl.json' @{}
    $full = [System.IO.Path]::GetFullPath($Path)
    $acls[$full] = @{ owner = $Owner; dacl = $Dacl; protected = [bool] $Protected; ino = (Get-SimInode $full) }
    Write-SimState 'acl.json' $acls
}

function global:Get-SimAclEntry {
    <# The recorded entry of this very file (by inode; an entry without one by path), or $null. #>
    param([string] $Full, [hashtable] $Acls)
    $ino = Get-SimInode $Full
    foreach ($key in $Acls.Keys) {
        $entry = $Acls[$key]
        if ($entry['ino']) { if ($entry['ino'] -eq $ino) { return $entry } }
        elseif ($key -eq $Full) { return $entry }
    }
    return $null
}

function global:ConvertTo-SimInheritedAce {
    <# The entries a new folder (or file) gets from its parent's DACL, as Windows passes them on. #>
    param([string] $Dacl, [string] $Owner, [bool] $Container)
    $generic = @{ GA = 'FA'; SDGXGWGR = '0x1301bf'; GXGR = '0x1200a9' }
    $out = foreach ($ace in [regex]::Matches($Dacl, '\((A|D);([^;]*);([^;]*);;;([^)]*)\)')) {
        $type, $flags, $rights, $sid = $ace.Groups[1].Value, $ace.Groups[2].Value, $ace.Groups[3].Value, $ace.Groups[4].Value
        if ($generic.ContainsKey($rights)) { $rights = $generic[$rights] }
        $applies = $(if ($Container) { $flags -match 'CI' } else { $flags -match 'OI' })
        if (-not $applies) {
            if ($Container -and $flags -match 'OI' -and $flags -notmatch 'NP') { "($type;OIIOID;$rights;;;$sid)" }
            continue
        }
        $keep = $(if ($Container -and $flags -notmatch 'NP') { ($flags -replace 'IO|ID', '') } else { '' })
        if ($sid -eq 'CO') {
            "($type;ID;$rights;;;$Owner)"
            if ($keep) { "($type;${keep}IOID;$rights;;;CO)" }
            continue
        }
        "($type;${keep}ID;$rights;;;$sid)"
    }
    return (@($out) -join '')
}

function global:Get-SimSecurity {
    <# Owner, DACL and protection of a path: its own entry, else what its parent passes on at creation. #>
    param([string] $Full, [hashtable] $Acls)
    $root = [System.IO.Path]::GetFullPath($global:WslppSim.Root).TrimEnd([System.IO.Path]::DirectorySeparatorChar)
    if (-not $Full.StartsWith($root)) {
        return @{ owner = 'SY'; dacl = '(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)'; protected = $true }
    }
    $entry = Get-SimAclEntry -Full $Full -Acls $Acls
    if ($null -ne $entry -and $null -ne $entry['dacl']) { return $entry }
    $owner = $(if ($null -ne $entry -and $entry['owner']) { $entry['owner'] } else { 'BA' })
    $parent = Split-Path -Path $Full -Parent
    $from = Get-SimSecurity -Full $parent -Acls $Acls
    $container = Test-Path -LiteralPath $Full -PathType Container
    return @{ owner = $owner; dacl = (ConvertTo-SimInheritedAce -Dacl $from['dacl'] -Owner $owner -Container $container); protected = $false }
}

function global:Get-Acl {
    <#
        A path's security descriptor: Sddl ('O:BAG:SYD:PAI(A;OICI;FA;;;BA)...'; owner BA =
        Administrators, SY = SYSTEM, else a SID) and Owner. acl.json (written by New-SimulatedWindows
        for the roots, by the fake icacls, or by a test) holds owner and DACL per file (by inode, so
        that a rename keeps them); a file without its own DACL has what its parent passes on (an
        elevated admin's new file is owned by Administrators). Like Get-Acl, it reports the link
        itself, not its target.
    #>
    [CmdletBinding()] param([string] $LiteralPath)
    $full = [System.IO.Path]::GetFullPath($LiteralPath).TrimEnd([System.IO.Path]::DirectorySeparatorChar)
    if (-not $full) { $full = [string] [System.IO.Path]::DirectorySeparatorChar }
    if (-not (Test-Path -LiteralPath $full)) { Write-Error "Cannot find path '$LiteralPath' because it does not exist." -Category ObjectNotFound; return }
    $entry = Get-SimSecurity -Full $full -Acls (Read-SimState 'acl.json' @{})
    $names = @{ BA = 'BUILTIN\Administrators'; SY = 'NT AUTHORITY\SYSTEM'; $global:SimTrustedInstaller = 'NT SERVICE\TrustedInstaller' }
    $owner = $names[$entry['owner']]
    if ($null -eq $owner) { $owner = $entry['owner'] }
    $control = $(if ($entry['protected']) { 'PAI' } else { 'AI' })
    return [pscustomobject]@{ Path = $full; Owner = $owner; Sddl = "O:$($entry['owner'])G:SYD:$control$($entry['dacl'])" }
}

function global:Set-SimPlanted {
    <# Someone (not an administrator) created this path: they own it and have full control of it. #>
    param([Parameter(Mandatory)] [string] $Path, [string] $Sid = 'S-1-5-21-1004336348-1177238915-682003330-1005')
    Set-SimAcl -Path $Path -Owner $Sid -Dacl "(A;OICI;FA;;;$Sid)(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)"
}

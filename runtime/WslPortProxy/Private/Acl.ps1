# Rights read from a security descriptor (the SDDL of Get-Acl: SIDs and access masks, never localized
# names) and set with icacls: whether a path can be trusted, and who may write to it.

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
    $owner = ''
    if ($sddl -match '^O:(.+?)(?=G:|D:|S:|$)') {
        $owner = $Matches[1]
    }
    if ($owner -notmatch $script:WslppTrustedSidPattern) {
        return "it is owned by $owner, not by Administrators or SYSTEM"
    }
    if ($Access) {
        foreach ($ace in @(Get-AllowEntry -Sddl $sddl)) {
            # CREATOR OWNER and OWNER RIGHTS stand for the owner, checked above
            if ($ace.Sid -notmatch $script:WslppTrustedSidPattern -and $ace.Sid -notin @('CO', 'OW') -and
                (Test-WriteRight -Rights $ace.Rights)) {
                return "it lets $($ace.Sid) write ($($ace.Rights))"
            }
        }
    }
    return ''
}

function Get-AllowEntry {
    <#
    .SYNOPSIS
        The Allow entries of an SDDL string: one object per entry with its Flags, Rights and Sid.
    .DESCRIPTION
        An entry is (A;flags;rights;object;inherited object;SID); Deny and audit entries are left out.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Sddl)
    foreach ($ace in [regex]::Matches($Sddl, '\(A;([^;]*);([^;]*);[^;]*;[^;]*;([^)]*)\)')) {
        [pscustomobject]@{ Flags = $ace.Groups[1].Value; Rights = $ace.Groups[2].Value; Sid = $ace.Groups[3].Value }
    }
}

function ConvertTo-AccessMask {
    <#
    .SYNOPSIS
        The access mask of SDDL rights: '0x1301bf', or letters ('FA', 'SDGXGWGR', 'LC', ...).
    .DESCRIPTION
        Generic rights are mapped as for files (GENERIC_ALL is full control, GENERIC_WRITE is
        FILE_GENERIC_WRITE); the two-letter directory-service names stand for the file rights
        with the same bits (LC 0x4 = add subfolder, DT 0x40 = delete child, ...). An unknown
        letter pair counts as every right, so that nothing unknown passes as harmless.
    #>
    [CmdletBinding()]
    [OutputType([long])]
    param([Parameter(Mandatory)] [string] $Rights)
    if ($Rights -match '^0x([0-9a-fA-F]+)$') {
        return [Convert]::ToInt64($Matches[1], 16)
    }
    $bits = @{
        CC = 0x1; DC = 0x2; LC = 0x4; SW = 0x8; RP = 0x10; WP = 0x20; DT = 0x40; LO = 0x80; CR = 0x100
        SD = 0x10000; RC = 0x20000; WD = 0x40000; WO = 0x80000
        FA = 0x1F01FF; FR = 0x120089; FW = 0x120116; FX = 0x1200A0
        GA = 0x1F01FF; GR = 0x120089; GW = 0x120116; GX = 0x1200A0
    }
    [long] $mask = 0
    for ($index = 0; $index + 1 -lt $Rights.Length; $index += 2) {
        $pair = $Rights.Substring($index, 2).ToUpperInvariant()
        if (-not $bits.ContainsKey($pair)) {
            return [long] 0x1F01FF
        }
        $mask = $mask -bor $bits[$pair]
    }
    return $mask
}

function Test-WriteRight {
    <#
    .SYNOPSIS
        Whether SDDL access rights ('FA', 'GW', '0x1200a9', ...) allow writing, deleting or re-permissioning.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [string] $Rights)
    # write data/add file, append/add folder, write EA, delete child, write attributes, delete,
    # write DAC, write owner, generic all, generic write
    return ((ConvertTo-AccessMask -Rights $Rights) -band 0x500D0156) -ne 0
}

function Invoke-Icacls {
    <#
    .SYNOPSIS
        icacls.exe from System32; a non-zero exit is a failure.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param([Parameter(Mandatory)] [string[]] $ArgumentList)
    $result = Invoke-NativeCommand -FilePath (Get-System32Path -Name 'icacls.exe') -ArgumentList $ArgumentList
    if ($result.ExitCode -ne 0) {
        $message = "icacls.exe $($ArgumentList -join ' ') failed (exit $($result.ExitCode)): " +
            "$($result.Output -join ' ')"
        throw (New-Failure -ExitCode 1 -ErrorId 'IcaclsFailed' -Message $message)
    }
}

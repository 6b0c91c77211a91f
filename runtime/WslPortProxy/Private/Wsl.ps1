# wsl.exe, the distribution, its networking mode and its address.

function Find-WslProgram {
    <#
    .SYNOPSIS
        wsl.exe, preferring the WSL package's: the WindowsApps alias fails before logon.
    .DESCRIPTION
        %ProgramFiles%\WSL\wsl.exe, else %SystemRoot%\System32\wsl.exe (both from HKLM: Get-EnvironmentFolder).
        Never from PATH: the task's account sets its own PATH, and the task runs what it finds elevated.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $package = Join-Path -Path (Get-EnvironmentFolder -Name 'ProgramFiles') -ChildPath 'WSL'
    $candidates = @((Join-Path -Path $package -ChildPath 'wsl.exe'), (Get-System32Path -Name 'wsl.exe'))
    foreach ($path in $candidates) {
        if (Test-Path -LiteralPath $path -PathType Leaf) {
            return $path
        }
    }
    $message = "wsl.exe was not found (looked in $($candidates -join ' and ')). Install WSL 2.0 or later for all users."
    throw (New-Failure -ExitCode 3 -ErrorId 'WslNotFound' -Message $message -Category ObjectNotFound)
}

function Invoke-Wsl {
    <#
    .SYNOPSIS
        Runs wsl.exe with its own messages in UTF-8 (WSL_UTF8=1) and reads its output as UTF-8.
    .DESCRIPTION
        PowerShell decodes a program's output with [Console]::OutputEncoding, the console's code
        page (437, 850, 1252, ... on a real server): it is set to UTF-8 for the call and put back
        afterwards. Without a console (setting it fails) the call runs as it is.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $WslPath,
        [Parameter(Mandatory)] [string[]] $ArgumentList,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $savedVariable = $env:WSL_UTF8
    $savedEncoding = [Console]::OutputEncoding
    $env:WSL_UTF8 = '1'
    try {
        try {
            [Console]::OutputEncoding = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false
        }
        catch {
            Write-Verbose -Message "Cannot set the console output encoding: $($_.Exception.Message)"
        }
        return Invoke-NativeCommand -FilePath $WslPath -ArgumentList $ArgumentList -TimeoutSeconds $CommandTimeout
    }
    finally {
        $env:WSL_UTF8 = $savedVariable
        try {
            [Console]::OutputEncoding = $savedEncoding
        }
        catch {
            Write-Verbose -Message "Cannot restore the console output encoding: $($_.Exception.Message)"
        }
    }
}

function Get-WslDistributionName {
    <#
    .SYNOPSIS
        The distributions registered for this account, from wsl.exe --list --quiet ($null if it fails).
    .DESCRIPTION
        Names, not message text, decide whether a distribution is missing: wsl.exe's messages are
        in the system language, and only the WSL package adds an error code.
    #>
    [CmdletBinding()]
    [OutputType([string[]])]
    param(
        [Parameter(Mandatory)] [string] $WslPath,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $result = Invoke-Wsl -WslPath $WslPath -ArgumentList @('--list', '--quiet') -CommandTimeout $CommandTimeout
    if ($result.ExitCode -ne 0) {
        return $null
    }
    $names = [string[]] @($result.Output | ForEach-Object -Process { "$_".Trim() } | Where-Object -FilterScript { $_ })
    return , $names
}

function Get-WslAddress {
    <#
    .SYNOPSIS
        Waits up to TimeoutSeconds (0: one attempt) for an IPv4 address on eth0 in the distribution.
    .DESCRIPTION
        One wsl.exe call asks for eth0's address and for the networking mode (wslinfo, WSL 2.0 and
        later). Any mode but nat fails at once (exit 11) with what the mode means for forwarding
        (Get-NetworkingModeMessage); no mode printed (WSL 1.x has no wslinfo) is left to
        Assert-ForeignAddress.
    .OUTPUTS
        System.String: eth0's IPv4 address.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $WslPath,
        [Parameter(Mandatory)] [string] $Distro,
        [Parameter(Mandatory)] [int] $TimeoutSeconds,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    $probe = 'ip -4 -o addr show dev eth0; wslinfo --networking-mode 2>/dev/null; true'
    $arguments = @('--distribution', $Distro, '--exec', 'sh', '-c', $probe)
    $attempt = 0
    while ($true) {
        $attempt++
        $result = Invoke-Wsl -WslPath $WslPath -ArgumentList $arguments -CommandTimeout $CommandTimeout
        $text = ($result.Output -join ' ').Trim()
        if ($result.ExitCode -ne 0) {
            Assert-WslDistribution -WslPath $WslPath -Distro $Distro -Said $text -CommandTimeout $CommandTimeout
        }
        $mode = Get-WslNetworkingMode -Output $result.Output
        if ($result.ExitCode -eq 0 -and $mode -ne '' -and $mode -ne 'nat') {
            $message = Get-NetworkingModeMessage -Mode $mode -Distro $Distro
            throw (New-Failure -ExitCode 11 -ErrorId 'NotNatNetworking' -Message $message -Category NotImplemented)
        }
        if ($result.ExitCode -eq 0 -and $text -match '\binet\s+(\d{1,3}(?:\.\d{1,3}){3})/\d{1,2}\b') {
            Write-Log -Log $Log -Message "WSL address (eth0): $($Matches[1]) after $attempt attempt(s)."
            return $Matches[1]
        }
        if ((Get-Date) -ge $deadline) {
            break
        }
        Write-Log -Log $Log -Message ("Attempt ${attempt}: no IPv4 address on eth0 yet " +
            "(wsl.exe exit $($result.ExitCode)): $text")
        Start-Sleep -Milliseconds 500
    }
    $message = "WSL distribution '$Distro' had no IPv4 address on eth0 within $TimeoutSeconds seconds " +
        "($attempt attempts; last output: $text). No rule was changed."
    throw (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message $message -Category ResourceUnavailable)
}

function Get-WslNetworkingMode {
    <#
    .SYNOPSIS
        The word wslinfo --networking-mode printed in the probe's output, or '' when it printed none.
    .DESCRIPTION
        wslinfo prints one word (microsoft/WSL src/linux/init/wslinfo.cpp): nat, bridged, mirrored,
        virtioproxy (consomme from WSL 2.9.0), none, or wsl1 under WSL 1. The probe prints it after
        ip's lines, which all hold spaces, so it is the last line that is one word. Any word is
        returned, also one this module does not know, so that no new mode passes for nat.
    .OUTPUTS
        System.String: the mode, lower case; '' when there is none (WSL 1.x has no wslinfo).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()] [AllowEmptyCollection()] [object[]] $Output)
    $words = @($Output | ForEach-Object -Process { "$_".Trim() } | Where-Object -FilterScript {
            $_ -match '^[A-Za-z0-9_.-]+$'
        })
    if ($words.Count -eq 0) {
        return ''
    }
    return $words[-1].ToLowerInvariant()
}

function Get-NetworkingModeMessage {
    <#
    .SYNOPSIS
        Why no rule is written in a networking mode other than nat, and what to do about it.
    .DESCRIPTION
        bridged: the VM has its own LAN address. mirrored: eth0 carries this server's addresses
        (microsoft/WSL#11272). consomme (virtioproxy before WSL 2.9.0): WSL binds this server's ports
        itself (ConsommeNetworking.cpp). none: no network. wsl1: WSL 1 shares this server's network
        stack. Any other word: a mode this module does not know, which it does not take for nat.
    .OUTPUTS
        System.String: the message, naming the mode and ending "No rule was changed."
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Mode,
        [Parameter(Mandatory)] [string] $Distro
    )
    $nat = "networkingMode=nat in the [wsl2] section of %USERPROFILE%\.wslconfig of the task's account " +
        'and run wsl --shutdown'
    $binds = ": WSL binds this server's ports itself when a program in WSL listens, so a portproxy rule " +
        "would fight it for the port. To forward with this tool, set $nat."
    $head = "WSL uses $Mode networking (wslinfo --networking-mode"
    $text = switch ($Mode) {
        'bridged' {
            '): the VM has its own address on the LAN, so clients can reach WSL directly and no portproxy ' +
            "rule is needed. If this tool should forward instead, set $nat."
        }
        'mirrored' {
            "): eth0 carries this server's own addresses, so a portproxy rule would forward the port into " +
            "this server itself (microsoft/WSL#11272). To forward with this tool, set $nat (Windows Server " +
            'has no mirrored mode).'
        }
        'consomme' { '; virtioproxy before WSL 2.9.0)' + $binds }
        'virtioproxy' { '; consomme from WSL 2.9.0)' + $binds }
        'none' {
            '): the VM has no network, so there is nothing to forward to (WSL also falls back to none when ' +
            'it cannot set up the mode asked for, e.g. mirrored on Windows Server, microsoft/WSL#40439). ' +
            "Set $nat."
        }
        'wsl1' {
            "): the distribution runs under WSL 1, which shares this server's network stack, so its ports " +
            "are this server's ports already and a rule would forward into this server itself. To forward " +
            "with this tool, convert it to WSL 2 (wsl --set-version $Distro 2) in NAT mode."
        }
        default {
            '), a mode this version of WslPortProxy does not know; it forwards only in nat mode rather than ' +
            "guess. Set $nat, or use a WslPortProxy that knows the mode."
        }
    }
    return "$head$text No rule was changed."
}

function Assert-WslDistribution {
    <#
    .SYNOPSIS
        Fails with exit code 3 when wsl.exe --list --quiet does not name the distribution.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $WslPath,
        [Parameter(Mandatory)] [string] $Distro,
        [AllowEmptyString()] [string] $Said = '',
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $names = Get-WslDistributionName -WslPath $WslPath -CommandTimeout $CommandTimeout
    if ($null -eq $names -or $names -contains $Distro) {
        return
    }
    $listed = 'none'
    if ($names.Count -gt 0) {
        $listed = $names -join ', '
    }
    $message = "WSL distribution '$Distro' is not registered for $env:USERDOMAIN\$env:USERNAME (wsl.exe: $Said; " +
        "wsl.exe --list --quiet lists: $listed). The task must run as the account that owns the distribution."
    throw (New-Failure -ExitCode 3 -ErrorId 'DistroNotFound' -Message $message -Category ObjectNotFound)
}

function Assert-ForeignAddress {
    <#
    .SYNOPSIS
        Fails (exit 11, nothing written) unless WSL's address is one a rule may point at.
    .DESCRIPTION
        eth0's address is set inside the distribution, where its root (or anything that gets root) can
        change it, so it is checked against what administrators control. One of this server's own
        addresses (WSL 1, or mirrored networking) would forward the port into this server itself.
        Then Get-WslAddressProblem: no loopback, link-local, multicast or other non-unicast address,
        and inside the NAT network WSL recorded in HKLM (Get-WslNatNetwork).
    .OUTPUTS
        None.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param([Parameter(Mandatory)] [string] $Address)
    $own = @(Get-NetIPAddress -AddressFamily IPv4 -ErrorAction SilentlyContinue | ForEach-Object -Process {
            "$($_.IPAddress)"
        })
    if ($own -contains $Address) {
        $message = "WSL's address $Address is one of this server's own addresses (WSL 1, or mirrored networking): " +
            'a portproxy rule to it would forward the port into this server itself. Use WSL 2 with NAT ' +
            'networking. No rule was changed.'
        throw (New-Failure -ExitCode 11 -ErrorId 'LocalAddress' -Message $message -Category InvalidResult)
    }
    $problem = Get-WslAddressProblem -Address $Address -NatNetwork (Get-WslNatNetwork)
    if ($problem) {
        $message = "WSL's address $Address is $problem. eth0's address is set inside the distribution, so the " +
            'task does not trust it; run wsl --shutdown and let WSL assign it again, and check who changed it. ' +
            'No rule was changed.'
        throw (New-Failure -ExitCode 11 -ErrorId 'UntrustedAddress' -Message $message -Category InvalidResult)
    }
}

function ConvertTo-IPv4Number {
    <#
    .SYNOPSIS
        A dotted IPv4 address as a number (0 to 2^32-1), or $null when it is not one.
    .OUTPUTS
        System.Int64
    #>
    [CmdletBinding()]
    [OutputType([long])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Address)
    if ($Address -notmatch '^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$') {
        return $null
    }
    [long] $number = 0
    foreach ($index in 1..4) {
        $part = [long] $Matches[$index]
        if ($part -gt 255) {
            return $null
        }
        $number = $number * 256 + $part
    }
    return $number
}

function Test-IPv4InNetwork {
    <#
    .SYNOPSIS
        Whether an IPv4 address (as a number) lies in the network a.b.c.d/n.
    .OUTPUTS
        System.Boolean
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)] [long] $Number,
        [Parameter(Mandatory)] [string] $Network
    )
    $base, $length = $Network.Split('/')
    $size = [long] [math]::Pow(2, 32 - [int] $length)
    return ([math]::Floor($Number / $size) -eq [math]::Floor((ConvertTo-IPv4Number -Address $base) / $size))
}

function Get-WslNatNetwork {
    <#
    .SYNOPSIS
        The NAT network WSL set up ('172.28.240.0/20'), from HKLM, or $null when none is recorded.
    .DESCRIPTION
        WSL writes NatNetwork under HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss at every start of
        its VM in NAT mode, from the subnet the Host Network Service assigned (microsoft/WSL
        src/windows/common/WslCoreConfig.cpp SaveNetworkingSettings; NatNetworking.cpp
        CreateNetworkInternal). Only administrators (and WSL's service) can write HKLM. Missing in other
        modes and before WSL 2's first NAT start; a value that is not a.b.c.d/n counts as missing.
    .OUTPUTS
        System.String
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $key = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss'
    $item = Get-ItemProperty -LiteralPath $key -Name 'NatNetwork' -ErrorAction SilentlyContinue
    if ($null -eq $item) {
        return $null
    }
    $value = "$($item.NatNetwork)".Trim()
    if ($value -match '^(\d{1,3}(?:\.\d{1,3}){3})/(\d{1,2})$' -and [int] $Matches[2] -le 32 -and
        $null -ne (ConvertTo-IPv4Number -Address $Matches[1])) {
        return $value
    }
    return $null
}

function Get-WslAddressProblem {
    <#
    .SYNOPSIS
        Why an IPv4 address from eth0 must not be a rule's target ('' when it may be).
    .DESCRIPTION
        Refused: 0.0.0.0/8 and 240.0.0.0/4 (not unicast; 255.255.255.255 is broadcast), 127.0.0.0/8
        (a rule would relay LAN clients to services that listen only on this server's loopback),
        169.254.0.0/16 (link-local: e.g. a cloud metadata endpoint, 169.254.169.254), 224.0.0.0/4
        (multicast), and any address outside NatNetwork. Without a NatNetwork (bridged mode, older WSL)
        only the private ranges of RFC 1918 pass, where WSL's NAT network always lies.
    .OUTPUTS
        System.String: completes "WSL's address X is ...".
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Address,
        [AllowNull()] [AllowEmptyString()] [string] $NatNetwork
    )
    $number = ConvertTo-IPv4Number -Address $Address
    if ($null -eq $number) {
        return 'not an IPv4 address'
    }
    $refused = [ordered]@{
        '0.0.0.0/8' = 'not a unicast address'; '240.0.0.0/4' = 'not a unicast address'
        '127.0.0.0/8' = 'a loopback address'; '169.254.0.0/16' = 'a link-local address'
        '224.0.0.0/4' = 'a multicast address'
    }
    foreach ($network in $refused.Keys) {
        if (Test-IPv4InNetwork -Number $number -Network $network) {
            return "$($refused[$network]) ($network)"
        }
    }
    $key = 'HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss'
    if ($NatNetwork) {
        if (Test-IPv4InNetwork -Number $number -Network $NatNetwork) {
            return ''
        }
        return "outside the NAT network WSL set up (NatNetwork $NatNetwork in $key)"
    }
    $private = @('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')
    if (@($private | Where-Object -FilterScript { Test-IPv4InNetwork -Number $number -Network $_ }).Count -gt 0) {
        return ''
    }
    return "not a private address ($($private -join ', ')), and WSL recorded no NAT network to check it " +
        "against (no NatNetwork in $key)"
}

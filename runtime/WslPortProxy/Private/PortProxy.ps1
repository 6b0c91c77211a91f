# IP Helper, the portproxy rules (read from the registry, written with netsh) and change records.

function New-ChangeRecord {
    <#
    .SYNOPSIS
        One thing a reconcile did (or found right): the output unit of every sync step.
    .DESCRIPTION
        Kind is PortProxy or Firewall. Action: Added, Rewrote, TookOver (rewrote a rule someone
        else made; Previous is its old target), Restored (set a taken-over rule back to its old
        target), Deleted (portproxy), Created, Corrected, Removed (firewall) are writes; Kept
        (already right and ours), Adopted (someone else's rule, already right: ours now, its
        target remembered) and Released (no longer ours: gone, changed by someone else, or a
        taken-over rule left as it was) are not. Planned: a write -WhatIf skipped (what the run
        would have done); it changes no state.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [ValidateSet('PortProxy', 'Firewall')] [string] $Kind,
        [Parameter(Mandatory)]
        [ValidateSet('Added', 'Rewrote', 'TookOver', 'Restored', 'Deleted', 'Created', 'Corrected', 'Removed',
            'Kept', 'Adopted', 'Released')]
        [string] $Action,
        [Parameter(Mandatory)] [string] $Name,
        [AllowNull()] [object] $Target,
        [AllowNull()] [object] $Previous,
        [switch] $Planned
    )
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.Change'
        Kind       = $Kind
        Action     = $Action
        Name       = $Name
        Target     = $Target
        Previous   = $Previous
        Written    = $Action -notin @('Kept', 'Adopted', 'Released') -and -not $Planned
        Planned    = [bool] $Planned
    }
}

function Start-IpHelperService {
    <#
    .SYNOPSIS
        portproxy lives in the IP Helper service: makes it automatic and running (else exit 7).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param([Parameter(Mandatory)] [pscustomobject] $Log)
    $name = 'IP Helper (iphlpsvc)'
    try {
        $service = Get-Service -Name 'iphlpsvc' -ErrorAction Stop
        $automatic = "$($service.StartType)" -eq 'Automatic'
        if (-not $automatic -and $PSCmdlet.ShouldProcess($name, 'Set startup type to Automatic')) {
            Set-Service -Name 'iphlpsvc' -StartupType Automatic -ErrorAction Stop
            Write-Log -Log $Log -Message "$name startup type set to Automatic."
        }
        if ("$($service.Status)" -ne 'Running' -and $PSCmdlet.ShouldProcess($name, 'Start')) {
            Start-Service -Name 'iphlpsvc' -ErrorAction Stop
            Write-Log -Log $Log -Message "$name started."
        }
    }
    catch {
        $message = "The IP Helper service (iphlpsvc) is not running and could not be started: $($_.Exception.Message)"
        throw (New-Failure -ExitCode 7 -ErrorId 'IpHelperNotRunning' -Message $message)
    }
}

function Get-PortProxyKind {
    <#
    .SYNOPSIS
        'v4tov4' for an IPv4 listen address, 'v6tov4' for an IPv6 one (WSL's address is IPv4 either way).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $ListenAddress)
    if ($ListenAddress.Contains(':')) {
        return 'v6tov4'
    }
    return 'v4tov4'
}

function Get-PortProxyRule {
    <#
    .SYNOPSIS
        The current v4tov4 and v6tov4 rules, 'listenaddress/listenport' -> 'connectaddress/connectport'.
    .DESCRIPTION
        Read from the registry (keys ...\PortProxy\v4tov4\tcp and ...\v6tov4\tcp), not from netsh's
        localized output. An IPv6 listen address is written the one way .NET and the generator
        both write it (RFC 5952: lower case, the longest run of zeros as ::), whatever form the
        registry holds, so that rules compare by text.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param()
    $rules = @{}
    foreach ($path in @($script:WslppPortProxyKey, $script:WslppPortProxyV6Key)) {
        $key = Get-ItemProperty -LiteralPath $path -ErrorAction SilentlyContinue
        if ($null -eq $key) {
            continue
        }
        foreach ($property in $key.PSObject.Properties) {
            $name = $property.Name
            $slash = $name.LastIndexOf('/')
            $parsed = $null
            if ($name.Contains(':') -and $slash -gt 0 -and
                [System.Net.IPAddress]::TryParse($name.Substring(0, $slash), [ref] $parsed)) {
                $name = '{0}/{1}' -f $parsed.ToString().ToLowerInvariant(), $name.Substring($slash + 1)
            }
            if ($name -match $script:WslppRuleKeyPattern) {
                $rules[$name] = [string] $property.Value
            }
        }
    }
    return $rules
}

function Invoke-PortProxyBatch {
    <#
    .SYNOPSIS
        Runs portproxy commands: one netsh call for one command, one `netsh -f` script for several.
    .DESCRIPTION
        A process per rule would make a hundred rules take seconds. The script file lives in the
        install folder, which only administrators can write. Callers re-read the registry
        afterwards: that, not netsh's word, decides what was applied.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [object[]] $Command,
        [Parameter(Mandatory)] [string] $Directory,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $netsh = Get-SystemProgram -Name 'netsh.exe'
    if ($Command.Count -eq 1) {
        $arguments = @('interface', 'portproxy') + $Command[0].Words
        $what = "netsh interface portproxy $($Command[0].Words -join ' ')"
        $result = Invoke-NativeCommand -FilePath $netsh -ArgumentList $arguments -TimeoutSeconds $CommandTimeout
    }
    else {
        if (-not (Test-Path -LiteralPath $Directory -PathType Container)) {
            New-Item -Path $Directory -ItemType Directory -Force | Out-Null
        }
        $batch = Join-Path -Path $Directory -ChildPath 'netsh-commands.txt'
        $lines = foreach ($item in $Command) {
            'interface portproxy ' + ($item.Words -join ' ')
        }
        Set-Content -LiteralPath $batch -Value $lines -Encoding Ascii
        $what = "netsh -f with $($Command.Count) portproxy commands"
        try {
            $result = Invoke-NativeCommand -FilePath $netsh -ArgumentList @('-f', $batch) `
                -TimeoutSeconds $CommandTimeout
        }
        finally {
            Remove-Item -LiteralPath $batch -Force -ErrorAction SilentlyContinue
        }
    }
    if ($result.ExitCode -ne 0) {
        $message = "$what failed (exit $($result.ExitCode)): $(($result.Output -join ' ').Trim())"
        throw (New-Failure -ExitCode 5 -ErrorId 'NetshFailed' -Message $message)
    }
}

function Invoke-PortProxyChange {
    <#
    .SYNOPSIS
        Applies portproxy commands, then emits a change record for each one the registry confirms.
    .DESCRIPTION
        Only what is really in the registry counts, even when netsh failed half-way. A command
        netsh reported as done but the registry does not show is a failure (exit 5).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [AllowEmptyCollection()] [object[]] $Command = @(),
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    if ($Command.Count -eq 0) {
        return
    }
    $failure = $null
    try {
        Invoke-PortProxyBatch -Command $Command -Directory $Directory -CommandTimeout $CommandTimeout
    }
    catch {
        $failure = $_
    }
    $now = Get-PortProxyRule
    $missing = @()
    foreach ($item in $Command) {
        $applied = ($null -ne $item.Target -and $now[$item.Key] -eq $item.Target) -or
            ($null -eq $item.Target -and -not $now.ContainsKey($item.Key))
        if (-not $applied) {
            $missing += $item
            continue
        }
        Write-Log -Log $Log -Message $item.Done
        New-ChangeRecord -Kind PortProxy -Action $item.Action -Name $item.Key -Target $item.Target `
            -Previous $item.Previous
    }
    if ($null -ne $failure) {
        throw $failure
    }
    if ($missing.Count -gt 0) {
        $first = $missing[0]
        $what = 'is still in the registry'
        if ($null -ne $first.Target) {
            $what = "is not forwarding to $($first.Target) in the registry"
        }
        $message = "netsh reported success, but portproxy $($first.Key) $what."
        throw (New-Failure -ExitCode 5 -ErrorId 'NetshNotApplied' -Message $message)
    }
}

function Sync-PortProxyRule {
    <#
    .SYNOPSIS
        Adds missing rules and rewrites changed ones in place; emits a change record per rule.
    .DESCRIPTION
        A rule on a wanted address and port that this tool did not make is taken over (rewritten,
        with a warning) or, when it already points right, adopted; either way its old target is
        recorded, and removing the port (or -Remove) puts it back as it was.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule,
        [Parameter(Mandatory)] [string] $Address,
        [Parameter(Mandatory)] [hashtable] $Current,
        [Parameter(Mandatory)] [hashtable] $Managed,
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $commands = @()
    foreach ($item in $Rule) {
        $key = $item.Key
        $target = '{0}/{1}' -f $Address, $item.ConnectPort
        $words = @((Get-PortProxyKind -ListenAddress $item.ListenAddress), "listenaddress=$($item.ListenAddress)",
            "listenport=$($item.ListenPort)", "connectaddress=$Address", "connectport=$($item.ConnectPort)",
            'protocol=tcp')
        if (-not $Current.ContainsKey($key)) {
            if ($PSCmdlet.ShouldProcess("portproxy $key", "Add, forwarding to $target")) {
                $commands += [pscustomobject]@{ Key = $key; Target = $target; Previous = $null; Action = 'Added'
                    Words = @('add') + $words; Done = "Added portproxy $key -> $target." }
            }
            else {
                New-ChangeRecord -Kind PortProxy -Action Added -Name $key -Target $target -Previous $null -Planned
            }
        }
        elseif ($Current[$key] -ne $target) {
            $previous = $Current[$key]
            $action = 'Rewrote'
            if (-not $Managed.ContainsKey($key)) {
                $action = 'TookOver'
                Write-Log -Log $Log -Level WARN -Message ("Taking over portproxy $key, which pointed at $previous " +
                    'and was not created by this tool; removing it from the inventory or -Remove puts it back to ' +
                    "$previous.")
            }
            if ($PSCmdlet.ShouldProcess("portproxy $key", "Rewrite in place from $previous to $target")) {
                $commands += [pscustomobject]@{ Key = $key; Target = $target; Previous = $previous; Action = $action
                    Words = @('set') + $words; Done = "Rewrote portproxy $key -> $target (was $previous)." }
            }
            else {
                New-ChangeRecord -Kind PortProxy -Action $action -Name $key -Target $target -Previous $previous -Planned
            }
        }
        elseif (-not $Managed.ContainsKey($key)) {
            Write-Log -Log $Log -Message ("Adopting portproxy $key, which already points at $target but was not " +
                'created by this tool; removing it from the inventory or -Remove leaves it in place.')
            New-ChangeRecord -Kind PortProxy -Action Adopted -Name $key -Target $target -Previous $target
        }
        else {
            New-ChangeRecord -Kind PortProxy -Action Kept -Name $key -Target $target -Previous $target
        }
    }
    Invoke-PortProxyChange -Command $commands -Directory $Directory -Log $Log -CommandTimeout $CommandTimeout
}

function Remove-StalePortProxyRule {
    <#
    .SYNOPSIS
        Deletes rules this tool created that are no longer wanted; emits a change record for each.
    .DESCRIPTION
        A rule is deleted only if it still points where this tool last pointed it; otherwise it
        is someone else's now: released with a warning, never deleted. A rule this tool took
        over (TakenOver: its target before) is set back to that target instead, or left in
        place when it already points there.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $Wanted,
        [Parameter(Mandatory)] [hashtable] $Current,
        [Parameter(Mandatory)] [hashtable] $Managed,
        [Parameter(Mandatory)] [hashtable] $TakenOver,
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $commands = @()
    foreach ($key in @($Managed.Keys | Sort-Object)) {
        if ($Wanted -contains $key) {
            continue
        }
        $now = $Current[$key]
        $original = $TakenOver[$key]
        if ($null -ne $now -and $now -ne $Managed[$key]) {
            Write-Log -Log $Log -Level WARN -Message ("Leaving portproxy $key alone: it points at $now, " +
                "not at $($Managed[$key]) as this tool wrote it, so it is not ours.")
            New-ChangeRecord -Kind PortProxy -Action Released -Name $key -Target $null -Previous $now
        }
        elseif ($null -eq $now -or $now -eq $original) {
            if ($null -ne $now) {
                Write-Log -Log $Log -Message ("Leaving portproxy $key in place: it was there, pointing at $now, " +
                    'before this tool took it over.')
            }
            New-ChangeRecord -Kind PortProxy -Action Released -Name $key -Target $null -Previous $now
        }
        elseif ($null -ne $original) {
            $address, $port = $key.Split('/')
            $to, $toPort = $original.Split('/')
            $verb = "Set back to $original, as it was before this tool took it over"
            if ($PSCmdlet.ShouldProcess("portproxy $key", $verb)) {
                $commands += [pscustomobject]@{ Key = $key; Target = $original; Previous = $now; Action = 'Restored'
                    Words = @('set', (Get-PortProxyKind -ListenAddress $address), "listenaddress=$address",
                        "listenport=$port", "connectaddress=$to", "connectport=$toPort", 'protocol=tcp')
                    Done = "Restored portproxy $key -> $original, as it was before this tool took it over." }
            }
            else {
                New-ChangeRecord -Kind PortProxy -Action Restored -Name $key -Target $original -Previous $now -Planned
            }
        }
        elseif ($PSCmdlet.ShouldProcess("portproxy $key", 'Delete (no longer in the inventory)')) {
            $address, $port = $key.Split('/')
            $commands += [pscustomobject]@{ Key = $key; Target = $null; Previous = $now; Action = 'Deleted'
                Words = @('delete', (Get-PortProxyKind -ListenAddress $address), "listenaddress=$address",
                    "listenport=$port")
                Done = "Deleted portproxy $key (was $now)." }
        }
        else {
            New-ChangeRecord -Kind PortProxy -Action Deleted -Name $key -Target $null -Previous $now -Planned
        }
    }
    Invoke-PortProxyChange -Command $commands -Directory $Directory -Log $Log -CommandTimeout $CommandTimeout
}

# What -Status checks beyond the rules (the firewall verdict for the current network), and how it
# words its verdict and, apart from it, the drift.

function Get-ActiveFirewallProfile {
    <#
    .SYNOPSIS
        The firewall profiles of the networks this server is connected to now.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $names = @{ DomainAuthenticated = 'Domain'; Private = 'Private'; Public = 'Public' }
    $active = foreach ($connection in @(Get-NetConnectionProfile -ErrorAction SilentlyContinue)) {
        $names["$($connection.NetworkCategory)"]
    }
    return [string[]] @($active | Where-Object -FilterScript { $_ } | Sort-Object -Unique)
}

function Get-InertFirewallProfile {
    <#
    .SYNOPSIS
        The profiles on which Group Policy ignores local firewall rules ("Apply local firewall rules: No").
    .DESCRIPTION
        Read from the active store (what really applies), one query: a local rule on such a profile
        exists but does nothing.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $profiles = @(Get-NetFirewallProfile -PolicyStore ActiveStore -ErrorAction SilentlyContinue)
    return [string[]] @($profiles | Where-Object -FilterScript { "$($_.AllowLocalFirewallRules)" -eq 'False' } |
            ForEach-Object -Process { "$($_.Name)" })
}

function Get-FirewallVerdict {
    <#
    .SYNOPSIS
        'ok', or why inbound traffic to a forwarded port is not allowed by our rule right now.
    .DESCRIPTION
        Existing is this tool's group as Get-FirewallRuleSet read it.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Rule,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $FirewallRule,
        [Parameter(Mandatory)] [hashtable] $Existing,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $ActiveProfile,
        [AllowEmptyCollection()] [string[]] $InertProfile = @()
    )
    # Plain loops, no pipelines: -Status and the metrics file run this for every forwarded port.
    $wanted = $null
    foreach ($candidate in $FirewallRule) {
        $range = $candidate.LocalPort.Split('-')
        if ($candidate.LocalAddress -in @('Any', $Rule.ListenAddress) -and
            $Rule.ListenPort -ge [int] $range[0] -and $Rule.ListenPort -le [int] $range[-1]) {
            $wanted = $candidate
            break
        }
    }
    if ($null -eq $wanted) {
        return 'no rule (allow_from is empty)'
    }
    $found = $Existing[$wanted.Name]
    if ($null -eq $found) {
        return "missing ($($wanted.Name))"
    }
    $current = $found.Rule
    if ("$($current.Enabled)" -ne 'True') {
        return 'disabled'
    }
    $profiles = ConvertTo-ComparableText -Value $current.Profile
    $covered = @(foreach ($active in $ActiveProfile) {
            if ($profiles -eq 'any' -or ($profiles -split ',') -contains $active.ToLowerInvariant()) {
                $active
            }
        })
    if ($covered.Count -eq 0) {
        return "inactive: the network is $($ActiveProfile -join ', '), the rule is for $($current.Profile)"
    }
    $effective = @(foreach ($active in $covered) {
            if ($InertProfile -notcontains $active) {
                $active
            }
        })
    if ($effective.Count -eq 0) {
        return "inert: Group Policy ignores local firewall rules on the $($covered -join ', ') profile " +
            '(Apply local firewall rules: No)'
    }
    return 'ok'
}

function Get-PortCheck {
    <#
    .SYNOPSIS
        Per forwarded port: the portproxy rule, the firewall verdict and who listens, as this server has them now.
    .DESCRIPTION
        What -Status and the metrics file share; it asks WSL nothing (Address is WSL's address
        now, or $null). Reads the rules once (registry; not at all when the caller passes what
        Get-PortProxyRule returned as Current) and the firewall and listeners once each, whatever
        the number of ports. RuleState is 'ok', 'missing' or 'stale (points at a.b.c.d/p)';
        Problems lists what is wrong, in words.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [AllowNull()] [AllowEmptyString()] [string] $Address,
        [AllowNull()] [hashtable] $Current
    )
    $portProxy = $Current
    if ($null -eq $portProxy) {
        $portProxy = Get-PortProxyRule
    }
    $activeProfiles = Get-ActiveFirewallProfile
    $firewallRules = Get-FirewallRuleSet
    $inertProfiles = Get-InertFirewallProfile
    $listeners = Get-ListenerTable
    # Each port's firewall rule spec by 'address/port', made once: searching the specs for every
    # port would cost ports x rules (100 ports: a third of a second).
    $specByPort = @{}
    foreach ($spec in $Settings.FirewallRules) {
        $range = $spec.LocalPort.Split('-')
        for ($port = [int] $range[0]; $port -le [int] $range[-1]; $port++) {
            $specByPort['{0}/{1}' -f $spec.ListenAddress, $port] = $spec
        }
    }
    foreach ($rule in $Settings.Rules) {
        $spec = $specByPort[$rule.Key]
        $specs = @()
        if ($null -ne $spec) {
            $specs = @($spec)
        }
        $target = $null
        $problems = @()
        if ($Address) {
            $target = '{0}:{1}' -f $Address, $rule.ConnectPort
        }
        else {
            $problems += 'WSL has no address'
        }
        $ruleState = 'missing'
        if ($portProxy.ContainsKey($rule.Key)) {
            $ruleState = 'ok'
            if ($portProxy[$rule.Key] -ne "$target".Replace(':', '/')) {
                $ruleState = "stale (points at $($portProxy[$rule.Key]))"
            }
        }
        if ($ruleState -ne 'ok') {
            $problems += "portproxy rule $ruleState"
        }
        $firewall = Get-FirewallVerdict -Rule $rule -FirewallRule $specs -Existing $firewallRules `
            -ActiveProfile $activeProfiles -InertProfile $inertProfiles
        if ($firewall -notin @('ok', 'no rule (allow_from is empty)')) {
            $problems += "firewall $firewall"
        }
        $listening = Get-ListenerVerdict -Rule $rule -Table $listeners
        if (-not $listening.Listening) {
            $problems += $listening.Problem
        }
        [pscustomobject]@{
            Rule           = $rule
            Listener       = Format-Endpoint -Address $rule.ListenAddress -Port $rule.ListenPort
            Target         = $target
            RuleState      = $ruleState
            Firewall       = $firewall
            Listening      = $listening.Listening
            ListeningOwner = $listening.Owner
            Problems       = [string[]] $problems
        }
    }
}

function Get-StatusSummaryText {
    <#
    .SYNOPSIS
        The summary sentence of -Status (the report's Summary.Text): every port right, or how many are not.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [int] $Ports,
        [Parameter(Mandatory)] [int] $Problems
    )
    if ($Problems -gt 0) {
        return "$Problems of $Ports port(s) have a problem (see Problem); the log may say why."
    }
    if ($Ports -eq 0) {
        return ('No port to forward now: the inventory names none here and no container publishes one ' +
            'that auto_ports allows.')
    }
    return "All $Ports port(s) are forwarded, allowed, listening and answered by WSL."
}

function Format-StatusVerdict {
    <#
    .SYNOPSIS
        The verdict line -Status prints first: 'OK: all N port(s) ...' or 'PROBLEM: n of N port(s) ...' (exit 9).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [int] $Ports,
        [Parameter(Mandatory)] [int] $Problems
    )
    $text = Get-StatusSummaryText -Ports $Ports -Problems $Problems
    if ($Problems -gt 0) {
        return "PROBLEM: $text"
    }
    return 'OK: ' + $text.Substring(0, 1).ToLowerInvariant() + $text.Substring(1)
}

function Join-DriftRange {
    <#
    .SYNOPSIS
        Drift items of one kind as labels ('80', '9000-9010 (api)'): consecutive ports of the same publishers joined.
    .DESCRIPTION
        Returns First, Last and Label per range, sorted by port. The label names the containers,
        and for a port published on a loopback address only, that address.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [object[]] $Drift)
    $ranges = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($item in @($Drift | Sort-Object -Property Port)) {
        $by = $item.Containers
        if ($item.Kind -eq 'LoopbackOnly') {
            $by = "$($item.Containers) on $($item.HostIp)"
        }
        $last = $null
        if ($ranges.Count -gt 0) {
            $last = $ranges[$ranges.Count - 1]
        }
        if ($null -ne $last -and $last.By -eq $by -and $item.Port -eq $last.Last + 1) {
            $last.Last = $item.Last
        }
        else {
            $ranges.Add([pscustomobject]@{ First = $item.Port; Last = $item.Last; By = $by })
        }
    }
    foreach ($range in $ranges) {
        $label = "$($range.First)"
        if ($range.Last -ne $range.First) {
            $label = "$($range.First)-$($range.Last)"
        }
        if ($range.By) {
            $label += " ($($range.By))"
        }
        [pscustomobject]@{ First = $range.First; Last = $range.Last; Label = $label }
    }
}

function Format-DriftText {
    <#
    .SYNOPSIS
        The drift block -Status prints after its verdict: a labelled header, one line per kind; none without drift.
    .DESCRIPTION
        Drift is information, never a problem, so it stands apart from the verdict and says so. One
        line per kind (published but not forwarded, published on a loopback address only, forwarded
        but published by no container) lists its ports, consecutive ones as a range, with what to do.
        The items are Get-PublishedDrift's. With AutoPorts, a published port that is not forwarded
        is outside auto_ports.allow.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Drift,
        [switch] $AutoPorts
    )
    $notForwarded = @('Published, but not forwarded',
        "add {0} to this server's ports in the inventory (Update-WslPortProxy.ps1 -Discover prints the entries).")
    if ($AutoPorts) {
        $notForwarded = @('Published, but outside auto_ports.allow, so not forwarded',
            "add {0} there or to this server's ports in the inventory.")
    }
    $kinds = [ordered]@{
        NotForwarded = $notForwarded
        LoopbackOnly = @('Published on a loopback address only, so not forwarded (not reachable through eth0)', '')
        NotPublished = @('Forwarded, but no container publishes it', '')
    }
    $lines = @()
    foreach ($kind in $kinds.Keys) {
        $items = @($Drift | Where-Object -FilterScript { $_.Kind -eq $kind })
        if ($items.Count -gt 0) {
            $ranges = @(Join-DriftRange -Drift $items)
            $line = "  $($kinds[$kind][0]): $(@($ranges | ForEach-Object -Process { $_.Label }) -join ', ')"
            if ($kinds[$kind][1]) {
                $word = 'them'
                if ($ranges.Count -eq 1 -and $ranges[0].First -eq $ranges[0].Last) {
                    $word = 'it'
                }
                $line += '; ' + ($kinds[$kind][1] -f $word)
            }
            $lines += $line
        }
    }
    if ($lines.Count -gt 0) {
        'Drift (information; does not change the verdict):'
        $lines
    }
}

function ConvertTo-StatusReport {
    <#
    .SYNOPSIS
        The versioned status document (WslPortProxy.StatusReport) of one server, from its status rows.
    .DESCRIPTION
        Its JSON (ConvertTo-Json -Depth 4) is what -Status -Json prints; SchemaVersion changes
        only when a property is removed or changes meaning.
    #>
    [CmdletBinding()]
    [OutputType('WslPortProxy.StatusReport')]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [AllowNull()] [AllowEmptyString()] [string] $Address,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Row,
        [AllowNull()] [Nullable[datetime]] $PausedUntil,
        [AllowEmptyCollection()] [string[]] $Warning = @(),
        [AllowNull()] [AllowEmptyString()] [string] $Engine,
        [AllowEmptyCollection()] [object[]] $Drift = @(),
        [AllowNull()] [pscustomobject] $View
    )
    $bad = @($Row | Where-Object -FilterScript { -not $_.Ok }).Count
    $text = Get-StatusSummaryText -Ports $Row.Count -Problems $bad
    $paused = $null
    if ($null -ne $PausedUntil) {
        $paused = $PausedUntil.Value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', [cultureinfo]::InvariantCulture)
    }
    $wsl = $null
    if ($Address) {
        $wsl = $Address
    }
    return [pscustomobject]@{
        PSTypeName     = 'WslPortProxy.StatusReport'
        SchemaVersion  = $script:WslppStatusSchemaVersion
        Server         = $Settings.Server
        ComputerName   = "$env:COMPUTERNAME"
        Distro         = $Settings.Distro
        GeneratedUtc   = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', [cultureinfo]::InvariantCulture)
        WslAddress     = $wsl
        PausedUntilUtc = $paused
        Summary        = [pscustomobject]@{
            Ports = $Row.Count; Ok = $Row.Count - $bad; Problems = $bad; AllOk = $bad -eq 0; Text = $text
        }
        Warnings       = [string[]] @($Warning)
        Ports          = [object[]] @($Row)
        Engine         = $(if ($Engine) { $Engine } else { $null })
        Drift          = [object[]] @($Drift | Select-Object -Property Port, Kind, Message)
        View           = $View
    }
}

function ConvertTo-StatusView {
    <#
    .SYNOPSIS
        The status document's View: whose view of WSL the report shows (Get-WslView), and how old it is.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [pscustomobject] $View)
    $record = $View.Record
    if ($View.Source -eq 'WatcherRecord') {
        return [pscustomobject]@{
            Source = 'WatcherRecord'; Account = $record.Account; Caller = $View.Caller
            ObservedUtc = $record.ObservedUtc; AgeSeconds = $record.AgeSeconds; Text = $record.Text
        }
    }
    return [pscustomobject]@{
        Source = 'Wsl'; Account = $View.Caller; Caller = $View.Caller; ObservedUtc = $null; AgeSeconds = 0
        Text = "WSL as $($View.Caller) sees it now"
    }
}

# What -Status checks beyond the rules: the firewall verdict for the current network.

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
    $text = "All $($Row.Count) port(s) are forwarded, allowed, listening and answered by WSL."
    if ($bad -gt 0) {
        $text = "$bad of $($Row.Count) port(s) have a problem (see Problem); the log may say why."
    }
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

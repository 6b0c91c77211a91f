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
    $wanted = @($FirewallRule | Where-Object -FilterScript {
            $range = $_.LocalPort.Split('-')
            $_.LocalAddress -in @('Any', $Rule.ListenAddress) -and
            $Rule.ListenPort -ge [int] $range[0] -and $Rule.ListenPort -le [int] $range[-1]
        })
    if ($wanted.Count -eq 0) {
        return 'no rule (allow_from is empty)'
    }
    $found = $Existing[$wanted[0].Name]
    if ($null -eq $found) {
        return "missing ($($wanted[0].Name))"
    }
    $current = $found.Rule
    if ("$($current.Enabled)" -ne 'True') {
        return 'disabled'
    }
    $profiles = ConvertTo-ComparableText -Value $current.Profile
    $covered = @($ActiveProfile | Where-Object -FilterScript {
            $profiles -eq 'any' -or ($profiles -split ',') -contains $_.ToLowerInvariant()
        })
    if ($covered.Count -eq 0) {
        return "inactive: the network is $($ActiveProfile -join ', '), the rule is for $($current.Profile)"
    }
    $effective = @($covered | Where-Object -FilterScript { $InertProfile -notcontains $_ })
    if ($effective.Count -eq 0) {
        return "inert: Group Policy ignores local firewall rules on the $($covered -join ', ') profile " +
            '(Apply local firewall rules: No)'
    }
    return 'ok'
}

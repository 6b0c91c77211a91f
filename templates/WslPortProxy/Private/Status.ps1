# What -Status checks beyond the rules: the firewall verdict for the current network, listeners.

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
        [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $ActiveProfile
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
    return 'ok'
}

function Get-ListenerOwner {
    <#
    .SYNOPSIS
        Listening endpoints ('address:port') -> the owning process as 'name (PID n)' ('' if unknown).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param()
    $owners = @{}
    foreach ($connection in @(Get-NetTCPConnection -State Listen -ErrorAction SilentlyContinue)) {
        $owner = ''
        $id = $connection.PSObject.Properties['OwningProcess']
        if ($null -ne $id -and $null -ne $id.Value) {
            $owner = "PID $($id.Value)"
            $process = Get-Process -Id $id.Value -ErrorAction SilentlyContinue
            if ($null -ne $process) {
                $owner = "$($process.ProcessName) (PID $($id.Value))"
            }
        }
        $owners['{0}:{1}' -f $connection.LocalAddress, $connection.LocalPort] = $owner
    }
    return $owners
}

# The inbound firewall rules (group 'WSL Port Proxy', names WslPortProxy-TCP-<address>-<ports>).

function ConvertTo-ComparableText {
    <#
    .SYNOPSIS
        Firewall values as sorted lower-case text; 'a.b.c.d/255.255.255.0' becomes 'a.b.c.d/24'.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()] [object] $Value)
    $items = [System.Collections.Generic.List[string]]::new()
    foreach ($item in @($Value)) {
        foreach ($part in ("$item" -split ',')) {
            $text = $part.Trim().ToLowerInvariant()
            if ($text -match '^(\d{1,3}(?:\.\d{1,3}){3})/(\d{1,3}(?:\.\d{1,3}){3})$') {
                $bits = 0
                foreach ($octet in $Matches[2].Split('.')) {
                    $byte = [int] $octet
                    while ($byte -gt 0) {
                        $bits += $byte -band 1
                        $byte = $byte -shr 1
                    }
                }
                $text = '{0}/{1}' -f $Matches[1], $bits
            }
            if ($text -and -not $items.Contains($text)) {
                $items.Add($text)
            }
        }
    }
    $items.Sort([System.StringComparer]::Ordinal)
    return [string]::Join(',', $items)
}

function Get-FirewallRuleSet {
    <#
    .SYNOPSIS
        This tool's firewall rules with their port and address filters, in three queries at most.
    .DESCRIPTION
        Each firewall cmdlet call is a CIM query (tens of milliseconds on a real server), so the
        rules are not read one by one: one Get-NetFirewallRule -Group reads the group's rules and
        one -All enumeration each reads every rule's port and address filter, joined on InstanceID
        (a filter's InstanceID is its rule's name). The cost is the same for 1 or 100 ports.
        Returns rule name -> (Rule, PortFilter, AddressFilter).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param()
    $set = @{}
    $rules = @(Get-NetFirewallRule -Group $script:WslppFirewallGroup -ErrorAction SilentlyContinue)
    if ($rules.Count -eq 0) {
        return $set
    }
    $ports = @{}
    foreach ($filter in @(Get-NetFirewallPortFilter -All -ErrorAction Stop)) {
        $ports["$($filter.InstanceID)"] = $filter
    }
    $addresses = @{}
    foreach ($filter in @(Get-NetFirewallAddressFilter -All -ErrorAction Stop)) {
        $addresses["$($filter.InstanceID)"] = $filter
    }
    foreach ($rule in $rules) {
        $name = "$($rule.Name)"
        $set[$name] = [pscustomobject]@{ Rule = $rule; PortFilter = $ports[$name]; AddressFilter = $addresses[$name] }
    }
    return $set
}

function Test-FirewallRule {
    <#
    .SYNOPSIS
        Whether an existing firewall rule (from Get-FirewallRuleSet) already allows exactly what the settings say.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Existing,
        [Parameter(Mandatory)] [pscustomobject] $Wanted,
        [Parameter(Mandatory)] [string[]] $FirewallProfile
    )
    $rule = $Existing.Rule
    $portFilter = $Existing.PortFilter
    $addressFilter = $Existing.AddressFilter
    if ($null -eq $portFilter -or $null -eq $addressFilter) {
        return $false
    }
    # Single values compare as text (-ne ignores case); lists go through ConvertTo-ComparableText.
    if ("$($rule.Enabled)" -ne 'True' -or "$($rule.Direction)" -ne 'Inbound' -or "$($rule.Action)" -ne 'Allow' -or
        "$($portFilter.Protocol)" -ne 'TCP') {
        return $false
    }
    $pairs = @(
        @($rule.Profile, $FirewallProfile),
        @($portFilter.LocalPort, $Wanted.LocalPort),
        @($addressFilter.LocalAddress, $Wanted.LocalAddress),
        @($addressFilter.RemoteAddress, $Wanted.RemoteAddress)
    )
    foreach ($pair in $pairs) {
        if ((ConvertTo-ComparableText -Value $pair[0]) -ne (ConvertTo-ComparableText -Value $pair[1])) {
            return $false
        }
    }
    return $true
}

function Sync-FirewallRule {
    <#
    .SYNOPSIS
        Creates or corrects the inbound allow rules; emits a change record per rule (exit 6 on failure).
    .DESCRIPTION
        Existing is this tool's group as Get-FirewallRuleSet read it: no query per rule.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule,
        [Parameter(Mandatory)] [string[]] $FirewallProfile,
        [Parameter(Mandatory)] [hashtable] $Existing,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    foreach ($item in $Rule) {
        $found = $Existing[$item.Name]
        $right = $null -ne $found -and
            (Test-FirewallRule -Existing $found -Wanted $item -FirewallProfile $FirewallProfile)
        if ($right) {
            New-ChangeRecord -Kind Firewall -Action Kept -Name $item.Name
            continue
        }
        $settings = @{
            Direction = 'Inbound'; Action = 'Allow'; Protocol = 'TCP'; LocalPort = $item.LocalPort
            LocalAddress = $item.LocalAddress; RemoteAddress = $item.RemoteAddress; Profile = $FirewallProfile
            Enabled = 'True'
        }
        $what = "$($item.Name) (TCP $($item.LocalPort) from $($item.RemoteAddress -join ', '))"
        try {
            if ($null -eq $found) {
                if (-not $PSCmdlet.ShouldProcess("firewall rule $($item.Name)", 'Create')) {
                    New-ChangeRecord -Kind Firewall -Action Created -Name $item.Name -Planned
                    continue
                }
                New-NetFirewallRule -Name $item.Name -DisplayName $item.DisplayName -Group $script:WslppFirewallGroup `
                    @settings -ErrorAction Stop | Out-Null
                Write-Log -Log $Log -Message "Created firewall rule $what."
                $action = 'Created'
            }
            else {
                if (-not $PSCmdlet.ShouldProcess("firewall rule $($item.Name)", 'Correct')) {
                    New-ChangeRecord -Kind Firewall -Action Corrected -Name $item.Name -Planned
                    continue
                }
                Set-NetFirewallRule -Name $item.Name -NewDisplayName $item.DisplayName @settings -ErrorAction Stop
                Write-Log -Log $Log -Message "Corrected firewall rule $what."
                $action = 'Corrected'
            }
        }
        catch {
            $message = "Firewall rule $($item.Name) could not be applied: $($_.Exception.Message)"
            throw (New-Failure -ExitCode 6 -ErrorId 'FirewallFailed' -Message $message)
        }
        New-ChangeRecord -Kind Firewall -Action $action -Name $item.Name
    }
}

function Remove-StaleFirewallRule {
    <#
    .SYNOPSIS
        Removes firewall rules this tool created that are no longer wanted; emits a record for each.
    .DESCRIPTION
        A rule outside the group 'WSL Port Proxy' is not ours: it is released with a warning.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $Wanted,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $Managed,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    foreach ($name in @($Managed | Sort-Object)) {
        if ($Wanted -contains $name) {
            continue
        }
        try {
            $existing = Get-NetFirewallRule -Name $name -ErrorAction SilentlyContinue
            if ($null -ne $existing -and "$($existing.Group)" -ne $script:WslppFirewallGroup) {
                Write-Log -Log $Log -Level WARN -Message ("Leaving firewall rule $name alone: it is in group " +
                    "'$($existing.Group)', not '$($script:WslppFirewallGroup)', so it is not ours.")
            }
            elseif ($null -ne $existing) {
                if (-not $PSCmdlet.ShouldProcess("firewall rule $name", 'Remove (no longer in the inventory)')) {
                    New-ChangeRecord -Kind Firewall -Action Removed -Name $name -Planned
                    continue
                }
                Remove-NetFirewallRule -Name $name -ErrorAction Stop
                Write-Log -Log $Log -Message "Removed firewall rule $name."
                New-ChangeRecord -Kind Firewall -Action Removed -Name $name
                continue
            }
        }
        catch {
            $message = "Firewall rule $name could not be removed: $($_.Exception.Message)"
            throw (New-Failure -ExitCode 6 -ErrorId 'FirewallFailed' -Message $message)
        }
        New-ChangeRecord -Kind Firewall -Action Released -Name $name
    }
}

# The inbound firewall rules (group 'WSL Port Proxy', names WslPortProxy-TCP-<address>-<ports>).

function ConvertTo-ComparableText {
    <#
    .SYNOPSIS
        Firewall values as sorted lower-case text; 'a.b.c.d/255.255.255.0' becomes 'a.b.c.d/24'.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()] [object] $Value)
    $items = foreach ($item in @($Value)) {
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
            if ($text) {
                $text
            }
        }
    }
    return (@($items) | Sort-Object -Unique) -join ','
}

function Test-FirewallRule {
    <#
    .SYNOPSIS
        Whether an existing firewall rule already allows exactly what the settings say.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)] [object] $Existing,
        [Parameter(Mandatory)] [pscustomobject] $Wanted,
        [Parameter(Mandatory)] [string[]] $FirewallProfile
    )
    $portFilter = $Existing | Get-NetFirewallPortFilter
    $addressFilter = $Existing | Get-NetFirewallAddressFilter
    $pairs = @(
        @("$($Existing.Enabled)", 'True'),
        @("$($Existing.Direction)", 'Inbound'),
        @("$($Existing.Action)", 'Allow'),
        @($Existing.Profile, $FirewallProfile),
        @($portFilter.Protocol, 'TCP'),
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
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule,
        [Parameter(Mandatory)] [string[]] $FirewallProfile,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    foreach ($item in $Rule) {
        $settings = @{
            Direction = 'Inbound'; Action = 'Allow'; Protocol = 'TCP'; LocalPort = $item.LocalPort
            LocalAddress = $item.LocalAddress; RemoteAddress = $item.RemoteAddress; Profile = $FirewallProfile
            Enabled = 'True'
        }
        $what = "$($item.Name) (TCP $($item.LocalPort) from $($item.RemoteAddress -join ', '))"
        $action = 'Kept'
        try {
            $existing = Get-NetFirewallRule -Name $item.Name -ErrorAction SilentlyContinue
            if ($null -eq $existing) {
                if (-not $PSCmdlet.ShouldProcess("firewall rule $($item.Name)", 'Create')) {
                    continue
                }
                New-NetFirewallRule -Name $item.Name -DisplayName $item.DisplayName -Group $script:WslppFirewallGroup `
                    @settings -ErrorAction Stop | Out-Null
                Write-Log -Log $Log -Message "Created firewall rule $what."
                $action = 'Created'
            }
            elseif (-not (Test-FirewallRule -Existing $existing -Wanted $item -FirewallProfile $FirewallProfile)) {
                if (-not $PSCmdlet.ShouldProcess("firewall rule $($item.Name)", 'Correct')) {
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

<#
    Windows Defender Firewall: the NetSecurity cmdlets over firewall.json.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:Get-SimFirewall { Read-SimState 'firewall.json' @{} }

function global:ConvertTo-SimMaskNotation {
    <# Windows reports 192.168.0.0/24 back as 192.168.0.0/255.255.255.0. #>
    param([string] $Address)
    if ($Address -match '^(\d+\.\d+\.\d+\.\d+)/(\d+)$') {
        $bits = [int] $Matches[2]
        $mask = foreach ($i in 0..3) { $n = [Math]::Max(0, [Math]::Min(8, $bits - 8 * $i)); 256 - [Math]::Pow(2, 8 - $n) }
        return '{0}/{1}' -f $Matches[1], (($mask | ForEach-Object { [int] $_ }) -join '.')
    }
    return $Address
}

function global:ConvertTo-SimFirewallRule {
    # MSFT_NetFirewallRule: InstanceID is the rule's Name; its filters carry the same InstanceID, one
    # filter per rule (Microsoft Docs, Get-NetFirewallPortFilter: the filter-to-rule relation is one to one).
    param([string] $Name, [hashtable] $Rule)
    return [pscustomobject]@{
        Name = $Name; InstanceID = $Name; DisplayName = $Rule.DisplayName; Group = $Rule.Group; Enabled = $Rule.Enabled
        Direction = $Rule.Direction; Action = $Rule.Action; Profile = ($Rule.Profile -join ', ')
    }
}

function global:Get-NetFirewallRule {
    # Without -Name or -Group: every rule (the GetAll parameter set); a -Name that matches nothing is an error.
    [CmdletBinding()] param([string] $Name, [string] $Group)
    $what = '-All'
    if ($Group) { $what = "-Group $Group" } elseif ($Name) { $what = "-Name $Name" }
    Add-SimQuery "Get-NetFirewallRule $what"
    $rules = Get-SimFirewall
    if ($Group -or -not $Name) {
        return @($rules.Keys | Sort-Object | Where-Object { -not $Group -or $rules[$_].Group -eq $Group } | ForEach-Object { ConvertTo-SimFirewallRule $_ $rules[$_] })
    }
    if (-not $rules.ContainsKey($Name)) {
        Write-Error -Message "No MSFT_NetFirewallRule objects found with property 'Name' equal to '$Name'.  Verify the value of the property and retry." -Category ObjectNotFound
        return
    }
    return ConvertTo-SimFirewallRule $Name $rules[$Name]
}

function global:ConvertTo-SimPortFilter {
    # A rule created without a value reports Any (New-NetFirewallRule: the default is Any).
    param([string] $Name, [hashtable] $Rule)
    $protocol = $Rule['Protocol']; if ($null -eq $protocol) { $protocol = 'Any' }
    $port = $Rule['LocalPort']; if ($null -eq $port) { $port = 'Any' }
    [pscustomobject]@{ InstanceID = $Name; Protocol = $protocol; LocalPort = $port }
}

function global:ConvertTo-SimAddressFilter {
    # A rule created without addresses reports Any (New-NetFirewallRule: the default is Any).
    param([string] $Name, [hashtable] $Rule)
    $local = $Rule['LocalAddress']; if ($null -eq $local) { $local = @('Any') }
    $remote = $Rule['RemoteAddress']; if ($null -eq $remote) { $remote = @('Any') }
    $remote = foreach ($address in @($remote)) { if ($address.Contains('/')) { ConvertTo-SimMaskNotation $address } else { $address } }
    [pscustomobject]@{ InstanceID = $Name; LocalAddress = @($local); RemoteAddress = @($remote) }
}

function global:Get-NetFirewallPortFilter {
    <# -All: every rule's filter in one query (Microsoft Docs, Get-NetFirewallPortFilter: GetAll); a piped rule: one query each. #>
    [CmdletBinding()] param([Parameter(ValueFromPipeline)] [Alias('AssociatedNetFirewallRule')] $InputObject, [switch] $All)
    process {
        $rules = Get-SimFirewall
        if ($null -eq $InputObject) {
            Add-SimQuery 'Get-NetFirewallPortFilter -All'
            foreach ($name in $rules.Keys | Sort-Object) { ConvertTo-SimPortFilter $name $rules[$name] }
            return
        }
        Add-SimQuery "Get-NetFirewallPortFilter $($InputObject.Name)"
        ConvertTo-SimPortFilter $InputObject.Name $rules[$InputObject.Name]
    }
}

function global:Get-NetFirewallAddressFilter {
    <# -All: every rule's filter in one query (Microsoft Docs, Get-NetFirewallAddressFilter: GetAll); a piped rule: one query each. #>
    [CmdletBinding()] param([Parameter(ValueFromPipeline)] [Alias('AssociatedNetFirewallRule')] $InputObject, [switch] $All)
    process {
        $rules = Get-SimFirewall
        if ($null -eq $InputObject) {
            Add-SimQuery 'Get-NetFirewallAddressFilter -All'
            foreach ($name in $rules.Keys | Sort-Object) { ConvertTo-SimAddressFilter $name $rules[$name] }
            return
        }
        Add-SimQuery "Get-NetFirewallAddressFilter $($InputObject.Name)"
        ConvertTo-SimAddressFilter $InputObject.Name $rules[$InputObject.Name]
    }
}

function global:Set-SimFirewallRule {
    param([string] $Name, [hashtable] $Values, [switch] $New)
    $rules = Get-SimFirewall
    if ($New -and $rules.ContainsKey($Name)) { throw "Cannot create a file when that file already exists." }
    if (-not $New -and -not $rules.ContainsKey($Name)) { throw "No MSFT_NetFirewallRule objects found with property 'Name' equal to '$Name'." }
    if ($New) { $rules[$Name] = @{} }
    foreach ($key in $Values.Keys) {
        $value = $Values[$key]
        if ($key -in 'LocalPort', 'RemoteAddress', 'LocalAddress', 'Profile') { $value = @($value | ForEach-Object { "$_" }) }
        $rules[$Name][$key] = $value
    }
    Write-SimState 'firewall.json' $rules
}

function global:Assert-SimFirewallWritable {
    <# firewall-faults.json {deny: true}: writes fail as the NetSecurity cmdlets do without the right (CIM: "Access is denied."). #>
    if ((Read-SimState 'firewall-faults.json' @{ deny = $false }).deny) { throw 'Access is denied.' }
}

function global:New-NetFirewallRule {
    [CmdletBinding(SupportsShouldProcess)]
    param([string] $Name, [string] $DisplayName, [string] $Group, [string] $Direction, [string] $Action,
        [string] $Protocol, [string[]] $LocalPort, [string[]] $LocalAddress, [string[]] $RemoteAddress,
        [string[]] $Profile, [string] $Enabled)
    Assert-SimFirewallWritable
    Add-SimCall "New-NetFirewallRule $Name"
    $values = @{}
    foreach ($key in $PSBoundParameters.Keys) { if ($key -ne 'Name') { $values[$key] = $PSBoundParameters[$key] } }
    Set-SimFirewallRule -Name $Name -Values $values -New
    return Get-NetFirewallRule -Name $Name
}

function global:Set-NetFirewallRule {
    [CmdletBinding(SupportsShouldProcess)]
    param([string] $Name, [string] $NewDisplayName, [string] $Direction, [string] $Action,
        [string] $Protocol, [string[]] $LocalPort, [string[]] $LocalAddress, [string[]] $RemoteAddress,
        [string[]] $Profile, [string] $Enabled)
    Assert-SimFirewallWritable
    Add-SimCall "Set-NetFirewallRule $Name"
    $values = @{}
    foreach ($key in $PSBoundParameters.Keys) {
        if ($key -eq 'NewDisplayName') { $values['DisplayName'] = $NewDisplayName }
        elseif ($key -ne 'Name') { $values[$key] = $PSBoundParameters[$key] }
    }
    Set-SimFirewallRule -Name $Name -Values $values
}

function global:Remove-NetFirewallRule {
    [CmdletBinding(SupportsShouldProcess)] param([string] $Name)
    $rules = Get-SimFirewall
    if (-not $rules.ContainsKey($Name)) { throw "No MSFT_NetFirewallRule objects found with property 'Name' equal to '$Name'." }
    Add-SimCall "Remove-NetFirewallRule $Name"
    $rules.Remove($Name)
    Write-SimState 'firewall.json' $rules
}

function global:Get-NetFirewallProfile {
    <#
        The firewall profiles of a policy store. In ActiveStore, AllowLocalFirewallRules is False where
        Group Policy says "Apply local firewall rules: No": local rules then exist but do nothing
        (docs/windows-facts.md, row "With Group Policy's"; Microsoft Docs, Set-NetFirewallProfile
        -AllowLocalFirewallRules).
        network.json's local_rules_ignored lists those profiles.
    #>
    [CmdletBinding()] param([string] $PolicyStore, [string[]] $Name)
    Add-SimQuery "Get-NetFirewallProfile -PolicyStore $PolicyStore"
    $network = Read-SimState 'network.json' @{}
    $ignored = @()
    if ($network.ContainsKey('local_rules_ignored')) { $ignored = @($network.local_rules_ignored) }
    foreach ($profileName in 'Domain', 'Private', 'Public') {
        $allow = 'NotConfigured'
        if ($ignored -contains $profileName) { $allow = 'False' }
        [pscustomobject]@{ Name = $profileName; Enabled = 'True'; AllowLocalFirewallRules = $allow }
    }
}

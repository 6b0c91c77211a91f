<#
    The registry: HKLM values the module reads, and the portproxy keys netsh writes.

    registry.json holds HKLM keys (New-SimRegistry, Set-SimRegistry); portproxy.json and
    portproxy-v6.json hold the v4tov4 and v6tov4 keys, which the fake netsh.exe writes
    (fakewin.py). Get-ItemProperty and Get-Item answer from them; every other path is real.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

$global:WslppPortProxyKeyPath = 'HKLM:\SYSTEM\CurrentControlSet\Services\PortProxy\v4tov4\tcp'
$global:WslppPortProxyV6KeyPath = 'HKLM:\SYSTEM\CurrentControlSet\Services\PortProxy\v6tov4\tcp'
$global:WslppCurrentVersionKeyPath = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'

function global:New-SimRegistry {
    <#
        The HKLM values the module reads for folders and WSL's network (only administrators can write
        HKLM\SOFTWARE). SystemRoot (REG_SZ) under Windows NT\CurrentVersion; ProgramFilesDir (REG_SZ)
        under Windows\CurrentVersion; ProgramData under ProfileList, a REG_EXPAND_SZ holding
        '%SystemDrive%\ProgramData' (Windows' default); NatNetwork and NatGatewayIpAddress (REG_SZ) under
        Lxss, which WSL writes at every VM start in NAT mode (microsoft/WSL WslCoreConfig.cpp
        SaveNetworkingSettings). Real NAT networks are narrower (a /20 such as 172.28.240.0/20 is
        typical); 172.28.0.0/16 holds every WSL address this suite uses.
    #>
    param([Parameter(Mandatory)] $Sim)
    return @{
        'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' = @{ SystemRoot = $Sim.SystemRoot }
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion' = @{ ProgramFilesDir = $Sim.ProgramFiles }
        'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList' = @{
            ProgramData = @{ Type = 'ExpandString'; Data = '%SystemDrive%\ProgramData' }
        }
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss' = @{
            NatNetwork = '172.28.0.0/16'; NatGatewayIpAddress = '172.28.0.1'
        }
    }
}

function global:Set-SimRegistry {
    <# Sets (or, with $null, deletes) one value of the simulated HKLM registry (registry.json). #>
    param([Parameter(Mandatory)] [string] $Key, [Parameter(Mandatory)] [string] $Name, [AllowNull()] $Value)
    $registry = Read-SimState 'registry.json' @{}
    if (-not $registry.ContainsKey($Key)) { $registry[$Key] = @{} }
    if ($null -eq $Value) { $registry[$Key].Remove($Name) } else { $registry[$Key][$Name] = $Value }
    Write-SimState 'registry.json' $registry
}

function global:Get-SimRegistryValue {
    <#
        One value of the simulated registry: its data, with a REG_EXPAND_SZ's %NAME% expanded from this
        process's environment unless Raw, as RegistryKey.GetValue does (learn.microsoft.com,
        RegistryKey.GetValue: "REG_EXPAND_SZ ... expanded using data from the local environment";
        RegistryValueOptions.DoNotExpandEnvironmentNames keeps them). $null when there is no such value.
    #>
    param([Parameter(Mandatory)] [hashtable] $Values, [Parameter(Mandatory)] [string] $Name, [switch] $Raw)
    if (-not $Values.ContainsKey($Name)) { return $null }
    $value = $Values[$Name]
    if ($value -isnot [hashtable]) { return $value }
    if ($Raw) { return $value.Data }
    return [Environment]::ExpandEnvironmentVariables($value.Data)
}

function global:Get-ItemProperty {
    <#
        The portproxy registry key and the HKLM keys of registry.json (New-SimRegistry) come from the
        simulated state; every other path is real. Like the registry provider, a REG_EXPAND_SZ comes back
        expanded with this process's environment (Get-SimRegistryValue); a missing key is an error, a
        missing value under -Name an error too (both ItemNotFound/property not found in real PowerShell).
    #>
    [CmdletBinding()]
    param([string[]] $LiteralPath, [Parameter(Position = 0)] [string[]] $Path, [string[]] $Name)
    $target = @($LiteralPath) + @($Path) | Where-Object { $_ } | Select-Object -First 1
    $registry = @{}
    if ("$target" -like 'HKLM:\*' -and $null -ne $global:WslppSim) { $registry = Read-SimState 'registry.json' @{} }
    if ($target -eq $global:WslppCurrentVersionKeyPath -or $registry.ContainsKey($target)) {
        $values = @{}
        if ($registry.ContainsKey($target)) { $values = $registry[$target] }
        $item = [ordered]@{}
        foreach ($key in $values.Keys) { $item[$key] = Get-SimRegistryValue -Values $values -Name $key }
        if ($target -eq $global:WslppCurrentVersionKeyPath) {
            # CurrentBuildNumber is a REG_SZ (Microsoft Docs, "Windows Server release information": Server
            # 2019 = 17763, Server 2022 = 20348, Server 2025 = 26100). windows.json {build: '17763'} sets it.
            $windows = Read-SimState 'windows.json' @{ build = '20348' }
            $item['CurrentBuildNumber'] = "$($windows.build)"
        }
        foreach ($wanted in @($Name | Where-Object { $_ })) {
            if (-not $item.Contains($wanted)) {
                Write-Error -Message "Property $wanted does not exist at path $target." -Category InvalidArgument
                return
            }
        }
        $item['PSChildName'] = Split-Path -Path $target -Leaf
        return [pscustomobject]$item
    }
    if ($target -notin @($global:WslppPortProxyKeyPath, $global:WslppPortProxyV6KeyPath)) {
        return Microsoft.PowerShell.Management\Get-ItemProperty @PSBoundParameters
    }
    $rules = Get-SimPortProxy
    if ($target -eq $global:WslppPortProxyV6KeyPath) { $rules = Get-SimPortProxyV6 }
    if ($null -eq $rules) {
        Write-Error -Message "Cannot find path '$target' because it does not exist." -Category ObjectNotFound
        return
    }
    $item = [ordered]@{}
    foreach ($key in $rules.Keys | Sort-Object) { $item[$key] = $rules[$key] }
    $item['PSPath'] = "Microsoft.PowerShell.Core\Registry::$target"
    $item['PSChildName'] = 'tcp'
    return [pscustomobject]$item
}

function global:Get-Item {
    <#
        An HKLM key of registry.json as the registry provider gives it (a RegistryKey): GetValue(name,
        default, options) returns the data, a REG_EXPAND_SZ expanded unless the options hold
        DoNotExpandEnvironmentNames (learn.microsoft.com, RegistryKey.GetValue(String, Object,
        RegistryValueOptions)). Every other path is the real Get-Item's.
    #>
    [CmdletBinding()]
    param([string[]] $LiteralPath, [Parameter(Position = 0)] [string[]] $Path, [switch] $Force)
    $target = @($LiteralPath) + @($Path) | Where-Object { $_ } | Select-Object -First 1
    $registry = $null
    if ("$target" -like 'HKLM:\*' -and $null -ne $global:WslppSim) { $registry = Read-SimState 'registry.json' @{} }
    if ($null -eq $registry -or -not $registry.ContainsKey($target)) {
        return Microsoft.PowerShell.Management\Get-Item @PSBoundParameters
    }
    $key = [pscustomobject]@{ Name = $target; Values = $registry[$target] }
    $key | Add-Member -MemberType ScriptMethod -Name GetValue -Value {
        param($Name, $Default, $Options)
        $raw = "$Options" -match 'DoNotExpandEnvironmentNames'
        $data = Get-SimRegistryValue -Values $this.Values -Name $Name -Raw:$raw
        if ($null -eq $data) { return $Default }
        return $data
    }
    return $key
}

function global:Get-SimPortProxy { Read-SimState 'portproxy.json' $null }

function global:Set-SimPortProxy { param([hashtable] $Rules) Write-SimState 'portproxy.json' $Rules }

function global:Get-SimPortProxyV6 { Read-SimState 'portproxy-v6.json' $null }

function global:Set-SimPortProxyV6 { param([hashtable] $Rules) Write-SimState 'portproxy-v6.json' $Rules }

function global:Get-SimNetshCommand {
    <# Every portproxy command netsh ran, alone or from a `netsh -f` script: 'interface portproxy set v4tov4 ...'. #>
    return @(Get-SimCall | Where-Object { $_ -like 'netsh interface *' -or $_ -like 'netsh> *' } | ForEach-Object { $_ -replace '^netsh>? ', '' })
}

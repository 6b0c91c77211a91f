# The server's settings: a data file read with Import-PowerShellDataFile, validated, and the
# portproxy and firewall rules derived from it.

function Test-SettingType {
    <#
    .SYNOPSIS
        Whether a value has one of the settings file's types.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [AllowNull()] [object] $Value,
        [Parameter(Mandatory)]
        [ValidateSet('Int', 'Bool', 'Text', 'OptionalText', 'TextList', 'TableList', 'Table', 'OptionalTable')]
        [string] $Type
    )
    switch ($Type) {
        'OptionalTable' { return ($null -eq $Value -or $Value -is [hashtable]) }
        'Table' { return ($Value -is [hashtable]) }
        'Int' { return ($Value -is [int]) }
        'Bool' { return ($Value -is [bool]) }
        'Text' { return ($Value -is [string] -and $Value.Length -gt 0) }
        'OptionalText' { return ($null -eq $Value -or $Value -is [string]) }
        'TextList' { return ($Value -is [array] -and @($Value | Where-Object { $_ -isnot [string] }).Count -eq 0) }
        default { return ($Value -is [array] -and @($Value | Where-Object { $_ -isnot [hashtable] }).Count -eq 0) }
    }
}

function Get-TableProblem {
    <#
    .SYNOPSIS
        What is wrong with a hashtable's keys and value types, compared with a key -> type table.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [hashtable] $Table,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Expected,
        [Parameter(Mandatory)] [string] $Where
    )
    foreach ($key in $Expected.Keys) {
        if (-not $Table.ContainsKey($key)) {
            "$Where`: $key is missing"
        }
        elseif (-not (Test-SettingType -Value $Table[$key] -Type $Expected[$key])) {
            "$Where`: $key must be of type $($Expected[$key]), not '$($Table[$key])'"
        }
    }
    foreach ($key in @($Table.Keys | Sort-Object)) {
        if (-not $Expected.Contains($key)) {
            "$Where`: $key is not a setting"
        }
    }
}

function Get-PortEntryProblem {
    <#
    .SYNOPSIS
        What is wrong with one entry of Ports (keys, types, port numbers, address).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [hashtable] $Entry,
        [Parameter(Mandatory)] [string] $Where
    )
    $types = [ordered]@{
        ListenAddress = 'Text'; ListenPort = 'Int'; LastListenPort = 'Int'; ConnectPort = 'Int'; AllowFrom = 'TextList'
    }
    $problems = @(Get-TableProblem -Table $Entry -Expected $types -Where $Where)
    if ($problems.Count -gt 0) {
        return $problems
    }
    $last = $Entry.ConnectPort + $Entry.LastListenPort - $Entry.ListenPort
    if ($Entry.ListenPort -lt 1 -or $Entry.LastListenPort -lt $Entry.ListenPort -or $Entry.LastListenPort -gt 65535 -or
        $Entry.ConnectPort -lt 1 -or $last -gt 65535) {
        "$Where`: the ports $($Entry.ListenPort)-$($Entry.LastListenPort) -> $($Entry.ConnectPort) are not 1-65535"
    }
    if (-not (Test-ListenAddress -Address $Entry.ListenAddress)) {
        "$Where`: ListenAddress '$($Entry.ListenAddress)' is not an IPv4 or IPv6 address"
    }
}

function Test-ListenAddress {
    <#
    .SYNOPSIS
        Whether a listen address is a dotted IPv4 address or an IPv6 address without a zone index.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Address)
    if ($Address -match '^\d{1,3}(\.\d{1,3}){3}$') {
        return $true
    }
    $parsed = $null
    return ($Address -match '^[0-9a-f.]*:[0-9a-f:.]*$' -and [System.Net.IPAddress]::TryParse($Address, [ref] $parsed))
}

function Get-SettingsProblem {
    <#
    .SYNOPSIS
        Every problem of a settings table, as text; nothing when it is valid.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [hashtable] $Data)
    if ($Data['SchemaVersion'] -ne $script:WslppSchemaVersion) {
        return "SchemaVersion is '$($Data['SchemaVersion'])', but this module reads SchemaVersion " +
            "$($script:WslppSchemaVersion): install the module and the settings from the same bundle"
    }
    $types = [ordered]@{
        SchemaVersion = 'Int'; Generator = 'Text'; Server = 'Text'; Distro = 'Text'; RunAs = 'OptionalText'
        Start = 'Text'; PodmanMachine = 'Bool'; WaitForWslSeconds = 'Int'; RecheckSeconds = 'Int'; KeepAlive = 'Bool'
        InstallDirectory = 'Text'; MetricsFile = 'OptionalText'; FirewallProfiles = 'TextList'; Ports = 'TableList'
        AutoPorts = 'OptionalTable'; CommandTimeoutSeconds = 'Table'
    }
    $problems = @(Get-TableProblem -Table $Data -Expected $types -Where 'settings')
    if ($problems.Count -gt 0) {
        return $problems
    }
    $timeouts = [ordered]@{ Wsl = 'Int'; Podman = 'Int'; Netsh = 'Int' }
    $where = 'settings.CommandTimeoutSeconds'
    $problems = @(Get-TableProblem -Table $Data.CommandTimeoutSeconds -Expected $timeouts -Where $where)
    if ($problems.Count -gt 0) {
        return $problems
    }
    if (@($Data.CommandTimeoutSeconds.Values | Where-Object -FilterScript { $_ -lt 1 -or $_ -gt 86400 }).Count -gt 0) {
        'settings: every CommandTimeoutSeconds value must be 1 to 86400'
    }
    if ($Data.Start -notin @('boot', 'logon')) {
        "settings: Start must be 'boot' or 'logon', not '$($Data.Start)'"
    }
    if ($Data.WaitForWslSeconds -lt 1 -or $Data.RecheckSeconds -lt 0) {
        'settings: WaitForWslSeconds must be at least 1 and RecheckSeconds at least 0'
    }
    if ($null -ne $Data.MetricsFile -and $Data.MetricsFile -notlike '*.prom') {
        "settings: MetricsFile '$($Data.MetricsFile)' must end in .prom (windows_exporter reads only .prom files)"
    }
    if (@($Data.Ports).Count -eq 0 -and $null -eq $Data.AutoPorts) {
        'settings: Ports is empty (and there are no AutoPorts)'
    }
    if ($null -ne $Data.AutoPorts) {
        Get-AutoPortsProblem -Table $Data.AutoPorts -PodmanMachine $Data.PodmanMachine
    }
    $index = 0
    foreach ($entry in $Data.Ports) {
        Get-PortEntryProblem -Entry $entry -Where "settings: Ports[$index]"
        $index++
    }
}

function Resolve-InstallDirectory {
    <#
    .SYNOPSIS
        '%ProgramData%\WslPortProxy' (or 'D:\Tools\x') as a full path on this server.
    .PARAMETER Key
        The settings key the path comes from, for the message.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Path, [string] $Key = 'InstallDirectory')
    if ($Path -match '^%(ProgramData|ProgramFiles|SystemDrive)%((\\[^\\]+)+)$') {
        $root = Get-EnvironmentFolder -Name $Matches[1]
    }
    elseif ($Path -match '^([A-Za-z]:)((\\[^\\]+)+)$') {
        $root = $Matches[1] + '\'
    }
    else {
        $message = "settings: $Key '$Path' must start with %ProgramData%, %ProgramFiles%, " +
            '%SystemDrive% or a drive letter, followed by folder names'
        throw (New-Failure -ExitCode 10 -ErrorId 'InvalidSettings' -Message $message)
    }
    $parts = $Matches[2].Substring(1).Split('\')
    foreach ($part in $parts) {
        if ($part -notmatch '^[A-Za-z0-9 ._()-]+$' -or $part -in @('.', '..')) {
            $message = "settings: $Key '$Path' has the folder name '$part', which is not allowed"
            throw (New-Failure -ExitCode 10 -ErrorId 'InvalidSettings' -Message $message)
        }
    }
    return [System.IO.Path]::Combine([string[]] (@($root) + $parts))
}

function ConvertTo-PortRule {
    <#
    .SYNOPSIS
        One portproxy rule per forwarded port (portproxy has no ranges).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [AllowEmptyCollection()] [hashtable[]] $Port)
    foreach ($entry in $Port) {
        for ($listen = $entry.ListenPort; $listen -le $entry.LastListenPort; $listen++) {
            [pscustomobject]@{
                PSTypeName    = 'WslPortProxy.Rule'
                ListenAddress = $entry.ListenAddress
                ListenPort    = $listen
                ConnectPort   = $entry.ConnectPort + $listen - $entry.ListenPort
                Key           = '{0}/{1}' -f $entry.ListenAddress, $listen
            }
        }
    }
}

function ConvertTo-FirewallRuleSpec {
    <#
    .SYNOPSIS
        The inbound allow rule of each port entry that has AllowFrom addresses.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [AllowEmptyCollection()] [hashtable[]] $Port)
    foreach ($entry in $Port) {
        if (@($entry.AllowFrom).Count -eq 0) {
            continue
        }
        $listen = "$($entry.ListenPort)"
        $connect = "$($entry.ConnectPort)"
        if ($entry.LastListenPort -ne $entry.ListenPort) {
            $listen = '{0}-{1}' -f $entry.ListenPort, $entry.LastListenPort
            $connect = '{0}-{1}' -f $entry.ConnectPort, ($entry.ConnectPort + $entry.LastListenPort - $entry.ListenPort)
        }
        $where = ''
        $localAddress = 'Any'   # 0.0.0.0 (every IPv4 address) and :: (every IPv6 address)
        if ($entry.ListenAddress -eq '::') {
            $where = ' on IPv6'
        }
        elseif ($entry.ListenAddress -ne '0.0.0.0') {
            $where = " on $($entry.ListenAddress)"
            $localAddress = $entry.ListenAddress
        }
        [pscustomobject]@{
            PSTypeName    = 'WslPortProxy.FirewallRuleSpec'
            Name          = '{0}-TCP-{1}-{2}' -f $script:WslppRulePrefix, $entry.ListenAddress, $listen
            ListenAddress = $entry.ListenAddress
            DisplayName   = "WSL port proxy: TCP $listen$where to WSL $connect"
            LocalPort     = $listen
            LocalAddress  = $localAddress
            RemoteAddress = [string[]] @($entry.AllowFrom)
        }
    }
}

function Import-Settings {
    <#
    .SYNOPSIS
        The validated settings of this server, from a settings file or a settings table.
    .DESCRIPTION
        A path is read with Import-PowerShellDataFile, which evaluates no expression. A missing
        file, a missing key, a wrong type or another SchemaVersion is an error with exit code 10
        (ErrorId WslPortProxy.InvalidSettings); nothing runs with half a configuration.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [object] $Settings)
    if ($Settings.PSObject.TypeNames -contains 'WslPortProxy.Settings') {
        return $Settings
    }
    $path = $null
    $data = $Settings
    if ($Settings -is [string] -or $Settings -is [System.IO.FileInfo]) {
        $path = "$Settings"
        if ($Settings -is [System.IO.FileInfo]) {
            $path = $Settings.FullName
        }
        try {
            $data = Import-PowerShellDataFile -LiteralPath $path -ErrorAction Stop
        }
        catch {
            $message = "The settings file $path cannot be read: $($_.Exception.Message)"
            throw (New-Failure -ExitCode 10 -ErrorId 'InvalidSettings' -Message $message -Category ReadError)
        }
    }
    if ($data -isnot [hashtable]) {
        $message = 'Settings must be the path of a settings file or a hashtable of settings.'
        throw (New-Failure -ExitCode 10 -ErrorId 'InvalidSettings' -Message $message -Category InvalidArgument)
    }
    $problems = @(Get-SettingsProblem -Data $data)
    if ($problems.Count -gt 0) {
        $source = 'The settings'
        if ($path) {
            $source = "The settings file $path"
        }
        $message = "$source cannot be used: $($problems -join '; ')."
        throw (New-Failure -ExitCode 10 -ErrorId 'InvalidSettings' -Message $message -Category InvalidData)
    }
    $folder = $null
    if ($path) {
        $folder = Split-Path -Path $path -Parent
    }
    $auto = $null
    if ($null -ne $data.AutoPorts) {
        $auto = ConvertTo-AutoPortsSetting -Table $data.AutoPorts
    }
    $metrics = $null
    if ($null -ne $data.MetricsFile) {
        $metrics = Resolve-InstallDirectory -Path $data.MetricsFile -Key 'MetricsFile'
    }
    return [pscustomobject]@{
        PSTypeName        = 'WslPortProxy.Settings'
        Path              = $path
        Folder            = $folder
        Server            = $data.Server
        Distro            = $data.Distro
        RunAs             = $data.RunAs
        Start             = $data.Start
        PodmanMachine     = $data.PodmanMachine
        WaitForWslSeconds = $data.WaitForWslSeconds
        RecheckSeconds    = $data.RecheckSeconds
        KeepAlive         = $data.KeepAlive
        CommandTimeouts   = [pscustomobject] $data.CommandTimeoutSeconds
        InstallDirectory  = Resolve-InstallDirectory -Path $data.InstallDirectory
        MetricsFile       = $metrics
        FirewallProfiles  = [string[]] @($data.FirewallProfiles)
        Rules             = @(ConvertTo-PortRule -Port $data.Ports)
        FirewallRules     = @(ConvertTo-FirewallRuleSpec -Port $data.Ports)
        AutoPorts         = $auto
    }
}

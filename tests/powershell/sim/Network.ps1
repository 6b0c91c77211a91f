<#
    The network and its listeners: who binds which port, WSL's relay, IP Helper, addresses.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:Split-SimEndpoint {
    <# '0.0.0.0:80' or '[::]:80' -> address, port. #>
    param([string] $Endpoint)
    if ($Endpoint -notmatch '^\[?(?<address>.*?)\]?:(?<port>\d+)$') { throw "not an endpoint: $Endpoint" }
    return $Matches['address'], [int] $Matches['port']
}

function global:Get-NetConnectionProfile {
    [CmdletBinding()] param()
    Add-SimQuery 'Get-NetConnectionProfile'
    $network = Read-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @() }
    return [pscustomobject]@{ Name = 'corp.example'; NetworkCategory = $network.category }
}

function global:Get-NetIPAddress {
    <# This server's own addresses, IPv4 and IPv6, or one -AddressFamily (Microsoft Docs, Get-NetIPAddress; a CIM query): network.json's host_addresses. #>
    [CmdletBinding()] param([string] $AddressFamily)
    Add-SimModuleLoad -Module 'NetTCPIP'
    Add-SimQuery "Get-NetIPAddress -AddressFamily $AddressFamily"
    $network = Read-SimState 'network.json' @{}
    $addresses = @('127.0.0.1', '192.168.0.12', '::1', '2001:db8::12')
    if ($network.ContainsKey('host_addresses')) { $addresses = @($network.host_addresses) }
    foreach ($address in $addresses) {
        $family = if ($address.Contains(':')) { 'IPv6' } else { 'IPv4' }
        if (-not $AddressFamily -or $AddressFamily -eq $family) { [pscustomobject]@{ IPAddress = $address; AddressFamily = $family } }
    }
}

function global:Test-SimExcludedPort {
    <#
        Whether a port lies in a range of netsh int ipv4 show excludedportrange protocol=tcp that keeps
        an explicit bind out: network.json's excluded_ranges ([[start, end], ...]), reserved by Hyper-V/
        WinNAT at boot (assumption: binding there fails with WSAEACCES, as widely reported; no Microsoft
        page says so). An administered exclusion ([start, end, '*'], netsh int ipv4 add
        excludedportrange) only keeps the range out of the dynamic ports: an explicit bind still succeeds
        (assumption, the nearest source: learn.microsoft.com KB 3039044, where only a second SO_REUSEADDR
        bind into such a range fails). docs/windows-facts.md, row "Excluded port ranges".
    #>
    param([int] $Port, [hashtable] $Network)
    if (-not $Network.ContainsKey('excluded_ranges')) { return $false }
    foreach ($range in $Network.excluded_ranges) {
        $administered = @($range).Count -gt 2
        if (-not $administered -and $Port -ge $range[0] -and $Port -le $range[1]) { return $true }
    }
    return $false
}

function global:Get-SimVmListener {
    <#
        The listening TCP sockets inside the WSL VM, as 'address:port' ('[::]:80' for IPv6): each running
        distro's wsl.json "listening" list, and one socket per TCP port a running podman machine's
        containers publish, on the mapping's host_ip or 0.0.0.0 (rootful Podman up to 5.8.2 holds a
        listening socket per published TCP port, containers/podman libpod/oci_util.go bindPorts; rootless,
        rootlessport listens on the host IP, cmd/rootlessport/main.go exposePorts, and pasta does the same:
        an assumption for pasta, whose source is not Podman's).
    #>
    $sockets = [System.Collections.Generic.List[string]]::new()
    $wsl = Read-SimState 'wsl.json' @{ distros = @{} }
    $podman = Read-SimState 'podman.json' @{ machines = @{} }
    foreach ($name in $wsl.distros.Keys) {
        $distro = $wsl.distros[$name]
        $machine = $podman.machines[$name]
        if ($distro.ContainsKey('stopped') -and $distro.stopped) { continue }
        if ($null -ne $machine -and $machine -ne 'running') { continue }
        if ($distro.ContainsKey('listening')) { foreach ($socket in $distro.listening) { $sockets.Add($socket) } }
        if ($null -eq $machine -or -not $podman.ContainsKey('containers')) { continue }
        foreach ($connection in @($name, "$name-root")) {
            foreach ($container in @($podman.containers[$connection] | Where-Object { $null -ne $_ })) {
                foreach ($mapping in @($container.Ports | Where-Object { $null -ne $_ -and "$($_.protocol)" -match 'tcp' })) {
                    $address = if ($mapping.host_ip) { $mapping.host_ip } else { '0.0.0.0' }
                    $count = [math]::Max(1, [int] $mapping.range)
                    foreach ($port in $mapping.host_port..($mapping.host_port + $count - 1)) {
                        if ($address.Contains(':')) { $sockets.Add("[$address]:$port") } else { $sockets.Add("${address}:$port") }
                    }
                }
            }
        }
    }
    return $sockets.ToArray()
}

function global:Get-SimRelay {
    <#
        WSL's localhost relay in NAT mode (microsoft/WSL 2.9.4, src/linux/init/localhost.cpp
        MonitorListeningSockets: polls the VM's listening TCP sockets every second; src/windows/wslrelay/
        localhost.cpp RelayWorker, BindRelayListener): a Linux socket on 0.0.0.0 or 127.0.0.1 gets
        wslrelay.exe listening on 127.0.0.1:P, one on :: or ::1 on [::1]:P, with SO_REUSEADDR only; one
        Windows listener per family and port; a socket on any other address (eth0's) gets none. Not in
        another networking mode, nor with localhostForwarding=false (wsl.json "localhost_forwarding").
        Returns 'address:port' endpoints ('[::1]:80').
    #>
    $wsl = Read-SimState 'wsl.json' @{ distros = @{} }
    foreach ($distro in $wsl.distros.Values) {
        $mode = if ($distro.ContainsKey('networking_mode')) { $distro.networking_mode } else { 'nat' }
        if ($mode -ne 'nat' -or ($distro.ContainsKey('localhost_forwarding') -and -not $distro.localhost_forwarding)) { return }
    }
    $relays = [System.Collections.Generic.List[string]]::new()
    foreach ($socket in Get-SimVmListener) {
        $address, $port = Split-SimEndpoint $socket
        $relay = $null
        if ($address -in '0.0.0.0', '127.0.0.1') { $relay = "127.0.0.1:$port" }
        elseif ($address -in '::', '::1') { $relay = "[::1]:$port" }
        if ($null -ne $relay -and -not $relays.Contains($relay)) { $relays.Add($relay) }
    }
    return $relays.ToArray()
}

function global:Test-SimBindRefused {
    <#
        Whether a socket binding Address:Port is refused while Held ('address:port' endpoints) are bound,
        by Winsock's rules (learn.microsoft.com, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"): the same
        address and port is refused (WSAEADDRINUSE); a specific address after another account's wildcard
        bind is refused (WSAEACCES, the access check since Windows Server 2003); a wildcard bind after a
        specific one succeeds, unless the wildcard socket asks for exclusive use (-Exclusive). Only
        sockets of the same family count.
    #>
    param([string] $Address, [int] $Port, [string[]] $Held = @(), [switch] $Exclusive)
    $v6 = $Address.Contains(':')
    $wildcard = if ($v6) { '::' } else { '0.0.0.0' }
    foreach ($endpoint in $Held) {
        $heldAddress, $heldPort = Split-SimEndpoint $endpoint
        if ([int] $heldPort -ne $Port -or $heldAddress.Contains(':') -ne $v6) { continue }
        if ($heldAddress -eq $Address -or $heldAddress -eq $wildcard) { return $true }
        if ($Address -eq $wildcard -and $Exclusive) { return $true }
    }
    return $false
}

function global:Get-NetTCPConnection {
    <#
        What listens (MSFT_NetTCPConnection, a CIM query: LocalAddress, LocalPort, State, OwningProcess):
        network.json's listening (other programs: {endpoint: '0.0.0.0:80', pid: 4}), WSL's localhost
        relays (Get-SimRelay; wslrelay.exe, PID 5120), and IP Helper (the svchost whose PID services.json
        gives iphlpsvc) for each portproxy rule it could bind (Test-SimBindRefused against the others
        and the relays; not in an excluded range, Test-SimExcludedPort; not where network.json's blocked
        names the rule). IP Helper's socket options are not documented: it binds without exclusive use
        unless network.json's iphelper_exclusive is true (both are tested). By default the relays were
        bound first (WSL ran before the rule was written); network.json's iphelper_first models a boot
        where IP Helper bound first: a relay on 127.0.0.1:P or [::1]:P is then refused (WSAEACCES: the
        relay runs as the user, IP Helper as LocalSystem) wherever IP Helper holds that family's wildcard.
    #>
    [CmdletBinding()] param([string] $State, [int] $LocalPort)
    Add-SimQuery "Get-NetTCPConnection -State $State"
    $network = Read-SimState 'network.json' @{}
    $others = @()
    if ($network.ContainsKey('listening')) { $others = @($network.listening) }
    $blocked = @()
    if ($network.ContainsKey('blocked')) { $blocked = @($network.blocked) }
    $exclusive = $network.ContainsKey('iphelper_exclusive') -and $network.iphelper_exclusive
    $iphelperFirst = $network.ContainsKey('iphelper_first') -and $network.iphelper_first
    $held = [System.Collections.Generic.List[string]]::new()
    foreach ($listener in $others) {
        $address, $port = Split-SimEndpoint $listener.endpoint
        $held.Add($listener.endpoint)
        [pscustomobject]@{ LocalAddress = $address; LocalPort = [int] $port; State = 'Listen'; OwningProcess = [int] $listener.pid }
    }
    $rules = @{}
    foreach ($table in @((Get-SimPortProxy), (Get-SimPortProxyV6))) { if ($null -ne $table) { foreach ($key in $table.Keys) { $rules[$key] = $table[$key] } } }
    $helper = (Read-SimState 'services.json' @{}).iphlpsvc
    $serving = [System.Collections.Generic.List[string]]::new()
    if ($helper.Status -eq 'Running') {
        foreach ($key in $rules.Keys | Sort-Object) {
            $slash = $key.LastIndexOf('/')
            $address, $port = $key.Substring(0, $slash), [int] $key.Substring($slash + 1)
            if ($blocked -contains $key -or (Test-SimExcludedPort -Port $port -Network $network)) { continue }
            $endpoint = if ($address.Contains(':')) { "[$address]:$port" } else { "${address}:$port" }
            $serving.Add($endpoint)
        }
    }
    $relays = @(Get-SimRelay)
    foreach ($relay in $relays) {
        $address, $port = Split-SimEndpoint $relay
        if ($iphelperFirst -and (Test-SimBindRefused -Address $address -Port $port -Held $serving)) { continue }
        $held.Add($relay)
        [pscustomobject]@{ LocalAddress = $address; LocalPort = [int] $port; State = 'Listen'; OwningProcess = 5120 }
    }
    foreach ($endpoint in $serving) {
        $address, $port = Split-SimEndpoint $endpoint
        $against = if ($iphelperFirst) { @($others | ForEach-Object { $_.endpoint }) } else { $held.ToArray() }
        if (Test-SimBindRefused -Address $address -Port $port -Held $against -Exclusive:$exclusive) { continue }
        [pscustomobject]@{ LocalAddress = $address; LocalPort = [int] $port; State = 'Listen'; OwningProcess = [int] $helper.ProcessId }
    }
}

function global:Test-NetConnection {
    <#
        Nothing is sent: the WSL side answers on the ports listed in network.json's answering (a container
        answers only if its program does: the published port's socket is there either way), and on those
        a distribution's own program listens on for eth0 (wsl.json "listening": the wildcard or eth0's address).
    #>
    [CmdletBinding()] param([string] $ComputerName, [int] $Port, [string] $InformationLevel)
    $network = Read-SimState 'network.json' @{ answering = @() }
    $wsl = @((Read-SimState 'wsl.json').distros.Values | Where-Object { $_.ip -eq $ComputerName })
    if ($wsl.Count -eq 0) { return $false }
    if ($network.ContainsKey('answering') -and @($network.answering) -contains $Port) { return $true }
    $own = @($wsl | Where-Object { $_.ContainsKey('listening') } | ForEach-Object { $_.listening })
    return $own -contains "0.0.0.0:$Port" -or $own -contains "${ComputerName}:$Port"
}

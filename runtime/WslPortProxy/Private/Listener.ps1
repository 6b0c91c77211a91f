# Who really listens on a forwarded port. The registry holds portproxy's configuration, not its
# state: IP Helper silently fails to bind a port that HTTP.sys owns or that lies in an excluded range.

function Get-ListenerTable {
    <#
    .SYNOPSIS
        Every TCP listener by port: port -> its listeners (address, process, whether it is IP Helper).
    .DESCRIPTION
        Three reads, whatever the number of ports: Get-NetTCPConnection -State Listen and the
        running services (Win32_Service: which svchost hosts iphlpsvc, and what else a process
        hosts) are CIM queries; one Get-Process names the owning processes.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param()
    $connections = @(Get-NetTCPConnection -State Listen -ErrorAction SilentlyContinue)
    $hosted = @{}
    $running = @(Get-CimInstance -ClassName Win32_Service -Filter "State='Running'" -ErrorAction SilentlyContinue)
    foreach ($service in $running) {
        $id = [int] $service.ProcessId
        if ($id -gt 0) {
            $hosted[$id] = @(@($hosted[$id]) + "$($service.Name)" | Where-Object -FilterScript { $_ })
        }
    }
    $ids = @($connections | ForEach-Object -Process { [int] $_.OwningProcess } | Sort-Object -Unique)
    $names = @{}
    if ($ids.Count -gt 0) {
        foreach ($process in @(Get-Process -Id $ids -ErrorAction SilentlyContinue)) {
            $names[[int] $process.Id] = "$($process.ProcessName)"
        }
    }
    $table = @{}
    foreach ($connection in $connections) {
        $id = [int] $connection.OwningProcess
        $port = [int] $connection.LocalPort
        $listener = [pscustomobject]@{
            Address  = "$($connection.LocalAddress)"
            IpHelper = @($hosted[$id]) -contains 'iphlpsvc'
            Owner    = Format-ListenerOwner -ProcessId $id -ProcessName $names[$id] -Service @($hosted[$id])
        }
        $table[$port] = @(@($table[$port]) + $listener | Where-Object -FilterScript { $null -ne $_ })
    }
    return $table
}

function Format-Endpoint {
    <#
    .SYNOPSIS
        '0.0.0.0:80', '[::]:80': an address and port as a listener is written.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Address,
        [Parameter(Mandatory)] [int] $Port
    )
    if ($Address.Contains(':')) {
        return '[{0}]:{1}' -f $Address, $Port
    }
    return '{0}:{1}' -f $Address, $Port
}

function Format-ListenerOwner {
    <#
    .SYNOPSIS
        'svchost (PID 2872: services iphlpsvc, Winmgmt)', 'System (PID 4: HTTP.sys, ...)', 'nginx (PID 7)'.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [int] $ProcessId,
        [AllowNull()] [AllowEmptyString()] [string] $ProcessName,
        [AllowEmptyCollection()] [AllowNull()] [string[]] $Service = @()
    )
    $name = $ProcessName
    if (-not $name) {
        $name = 'unknown process'
    }
    $services = @($Service | Where-Object -FilterScript { $_ } | Sort-Object)
    if ($ProcessId -eq 4) {
        return "$name (PID 4: HTTP.sys, e.g. IIS or WinRM)"
    }
    if ($services.Count -gt 0) {
        return "$name (PID ${ProcessId}: services $($services -join ', '))"
    }
    return "$name (PID $ProcessId)"
}

function Get-ListenerVerdict {
    <#
    .SYNOPSIS
        Whether IP Helper listens on a rule's address and port; else who holds it, in words.
    .DESCRIPTION
        Returns Listening (IP Helper listens there), Blocked (another listener keeps IP Helper out),
        Owner (whoever listens: IP Helper's svchost, another process, or '') and Problem ('' when
        Listening). By Winsock's bind rules (learn.microsoft.com, "Using SO_REUSEADDR and
        SO_EXCLUSIVEADDRUSE"), another process of the same address family on the rule's own address,
        or on the family's wildcard (0.0.0.0, ::), blocks the port. One on a specific address (WSL's
        localhost relay on 127.0.0.1 or ::1, say) does not block a wildcard rule: a wildcard bind after
        a specific one succeeds unless it asks for exclusive use, which IP Helper's undocumented
        options might; when IP Helper then does not listen, Problem names that listener.
    .OUTPUTS
        [pscustomobject] with Listening, Blocked, Owner, Problem.
    .LINK
        Get-ListenerTable
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Rule,
        [Parameter(Mandatory)] [hashtable] $Table
    )
    $endpoint = Format-Endpoint -Address $Rule.ListenAddress -Port $Rule.ListenPort
    $v6 = $Rule.ListenAddress.Contains(':')
    $wildcard = '0.0.0.0'
    if ($v6) {
        $wildcard = '::'
    }
    $blocking = $null
    $beside = $null
    # Plain loops, no pipelines: this runs for every forwarded port at every re-check.
    foreach ($listener in @($Table[[int] $Rule.ListenPort])) {
        if ($null -eq $listener) {
            continue
        }
        if ($listener.IpHelper -and $listener.Address -eq $Rule.ListenAddress) {
            return [pscustomobject]@{ Listening = $true; Blocked = $false; Owner = $listener.Owner; Problem = '' }
        }
        if ($listener.IpHelper -or $listener.Address.Contains(':') -ne $v6) {
            continue
        }
        if ($listener.Address -in @($Rule.ListenAddress, $wildcard)) {
            if ($null -eq $blocking) { $blocking = $listener }
        }
        elseif ($Rule.ListenAddress -eq $wildcard -and $null -eq $beside) {
            $beside = $listener
        }
    }
    if ($null -ne $blocking) {
        $problem = "$endpoint is held by $($blocking.Owner), so IP Helper cannot listen there"
        return [pscustomobject]@{ Listening = $false; Blocked = $true; Owner = $blocking.Owner; Problem = $problem }
    }
    $problem = "IP Helper does not listen on $endpoint (is the port in an excluded range? " +
        'netsh int ipv4 show excludedportrange protocol=tcp)'
    if ($null -ne $beside) {
        $problem = Get-BesideProblem -Endpoint $endpoint -Listener $beside -Port $Rule.ListenPort
    }
    return [pscustomobject]@{ Listening = $false; Blocked = $false; Owner = ''; Problem = $problem }
}

function Get-BesideProblem {
    <#
    .SYNOPSIS
        Why IP Helper may not listen on a wildcard address beside another program's specific one, and what to do.
    .DESCRIPTION
        WSL's localhost relay (wslrelay.exe) listens on 127.0.0.1:P or [::1]:P for every port a
        Linux program listens on in NAT mode (microsoft/WSL src/windows/wslrelay/localhost.cpp).
        Binding the wildcard beside it succeeds unless IP Helper asks for exclusive use; if it
        does, turning the relay off (localhostForwarding=false) lets portproxy serve localhost too.
    .OUTPUTS
        [string]
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Endpoint,
        [Parameter(Mandatory)] [pscustomobject] $Listener,
        [Parameter(Mandatory)] [int] $Port
    )
    $held = Format-Endpoint -Address $Listener.Address -Port $Port
    $text = "IP Helper does not listen on $Endpoint although its rule is written; $held is held by $($Listener.Owner)"
    if ($Listener.Owner -like 'wslrelay *') {
        return "$text, WSL's localhost relay: IP Helper seems to want the port for itself. Set " +
            'localhostForwarding=false under [wsl2] in the .wslconfig of the account that runs WSL (portproxy ' +
            'then serves this server''s localhost too), then restart WSL (wsl --shutdown)'
    }
    return "$text, which IP Helper seems not to share the port with: stop it there, or forward another port"
}

function Test-PortProxyListener {
    <#
    .SYNOPSIS
        After a reconcile: the forwarded ports IP Helper does not listen on, each logged as a warning.
    .DESCRIPTION
        Returns one problem text per such port (none when all listen), logs each as a warning
        line and writes one warning event naming them all (throttled: a watcher repeats it only
        when it changes, or once a day). A constant number of queries (Get-ListenerTable) for any number
        of ports. With SettleMilliseconds (rules were just written), a port found not listening
        is looked at once more after that pause, so a bind still in progress is not reported.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [int] $SettleMilliseconds = 0
    )
    if ($Rule.Count -eq 0) {
        return
    }
    $attempts = 1
    if ($SettleMilliseconds -gt 0) {
        $attempts = 2
    }
    foreach ($attempt in 1..$attempts) {
        $table = Get-ListenerTable
        $verdicts = @($Rule | ForEach-Object -Process { Get-ListenerVerdict -Rule $_ -Table $table } |
                Where-Object -FilterScript { -not $_.Listening })
        if ($verdicts.Count -eq 0 -or $attempt -eq $attempts) {
            break
        }
        Start-Sleep -Milliseconds $SettleMilliseconds
    }
    $problems = @($verdicts | ForEach-Object -Process { $_.Problem })
    foreach ($problem in $problems) {
        Write-Log -Log $Log -Level WARN -Message "$problem." -NoEvent
    }
    if ($problems.Count -gt 0) {
        $message = "$($problems.Count) of $($Rule.Count) forwarded port(s) not listening: $($problems -join '; ')."
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Warning -EntryType Warning -Message $message `
            -Throttle -Topic 'listener'
    }
    return $problems
}

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
        Returns Listening (IP Helper listens there), Owner (whoever listens: IP Helper's svchost,
        another process, or '') and Problem ('' when Listening). Another process listening on the
        same port, in the same address family, on the same address or on the family's wildcard
        (0.0.0.0, ::; or anywhere, for a wildcard rule), holds the port: IP Helper cannot bind it.
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
    $foreign = $null
    # Plain loops, no pipelines: this runs for every forwarded port at every re-check.
    foreach ($listener in @($Table[[int] $Rule.ListenPort])) {
        if ($null -eq $listener) {
            continue
        }
        if ($listener.IpHelper -and $listener.Address -eq $Rule.ListenAddress) {
            return [pscustomobject]@{ Listening = $true; Owner = $listener.Owner; Problem = '' }
        }
        $overlaps = $listener.Address.Contains(':') -eq $v6 -and
            ($Rule.ListenAddress -eq $wildcard -or $listener.Address -in @($Rule.ListenAddress, $wildcard))
        if ($null -eq $foreign -and -not $listener.IpHelper -and $overlaps) {
            $foreign = $listener
        }
    }
    if ($null -ne $foreign) {
        $problem = "$endpoint is held by $($foreign.Owner), so IP Helper cannot listen there"
        return [pscustomobject]@{ Listening = $false; Owner = $foreign.Owner; Problem = $problem }
    }
    $problem = "IP Helper does not listen on $endpoint (is the port in an excluded range? " +
        'netsh int ipv4 show excludedportrange protocol=tcp)'
    return [pscustomobject]@{ Listening = $false; Owner = ''; Problem = $problem }
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
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Warning -EntryType Warning -Message $message -Throttle
    }
    return $problems
}

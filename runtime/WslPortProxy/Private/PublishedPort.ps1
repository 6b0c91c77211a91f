# What the container engine says it publishes: Podman through podman.exe, or Docker Engine in the
# distribution. Read-only.

function New-PublishedPort {
    <#
    .SYNOPSIS
        One published TCP port (WslPortProxy.PublishedPort): a host port inside WSL and who publishes it.
    .DESCRIPTION
        Reachable is $false when the engine binds it to a loopback address only: portproxy connects
        to WSL's eth0 address, which never reaches 127.0.0.1 or ::1 inside WSL.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Engine,
        [Parameter(Mandatory)] [string] $Container,
        [AllowEmptyString()] [string] $HostIp = '',
        [Parameter(Mandatory)] [int] $Port,
        [Parameter(Mandatory)] [int] $ContainerPort
    )
    $address = $HostIp.Trim('[', ']')
    if ($address -eq '') {
        $address = '0.0.0.0'
    }
    return [pscustomobject]@{
        PSTypeName    = 'WslPortProxy.PublishedPort'
        Engine        = $Engine
        Container     = $Container
        HostIp        = $address
        Port          = $Port
        ContainerPort = $ContainerPort
        Reachable     = $address -notmatch '^(127\.\d+\.\d+\.\d+|::1|localhost)$'
    }
}

function New-PublishedRange {
    <#
    .SYNOPSIS
        Published TCP ports left unexpanded (WslPortProxy.PublishedRange): First-Last, outside the scope read.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Sample,
        [Parameter(Mandatory)] [int] $First,
        [Parameter(Mandatory)] [int] $Last
    )
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.PublishedRange'; Engine = $Sample.Engine; Container = $Sample.Container
        HostIp = $Sample.HostIp; First = $First; Last = $Last; Reachable = $Sample.Reachable
    }
}

function Split-PortRange {
    <#
    .SYNOPSIS
        Cuts First-Last into pieces (First, Last, Inside) by Within: sorted, disjoint ranges; $null = all inside.
    .DESCRIPTION
        The cost is one step per range of Within, never one per port: a container publishing
        1-65535 costs as much as one publishing a single port.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [int] $First,
        [Parameter(Mandatory)] [int] $Last,
        [AllowNull()] [object[]] $Within
    )
    if ($null -eq $Within) {
        return [pscustomobject]@{ First = $First; Last = $Last; Inside = $true }
    }
    $next = $First
    foreach ($range in $Within) {
        if ($range.Last -lt $next) {
            continue
        }
        if ($range.First -gt $Last) {
            break
        }
        if ($range.First -gt $next) {
            [pscustomobject]@{ First = $next; Last = $range.First - 1; Inside = $false }
            $next = $range.First
        }
        $end = [Math]::Min($Last, $range.Last)
        [pscustomobject]@{ First = $next; Last = $end; Inside = $true }
        $next = $end + 1
    }
    if ($next -le $Last) {
        [pscustomobject]@{ First = $next; Last = $Last; Inside = $false }
    }
}

function ConvertFrom-PublishedMapping {
    <#
    .SYNOPSIS
        One published mapping (host ports First-Last from ContainerFirst on) as PublishedPort objects
        for the ports inside Within and a PublishedRange for each piece outside it.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Engine,
        [Parameter(Mandatory)] [string] $Container,
        [AllowEmptyString()] [string] $HostIp = '',
        [Parameter(Mandatory)] [int] $First,
        [Parameter(Mandatory)] [int] $Last,
        [Parameter(Mandatory)] [int] $ContainerFirst,
        [AllowNull()] [object[]] $Within
    )
    foreach ($piece in @(Split-PortRange -First $First -Last $Last -Within $Within)) {
        if (-not $piece.Inside) {
            $sample = New-PublishedPort -Engine $Engine -Container $Container -HostIp $HostIp -Port $piece.First `
                -ContainerPort ($ContainerFirst + $piece.First - $First)
            New-PublishedRange -Sample $sample -First $piece.First -Last $piece.Last
            continue
        }
        for ($port = $piece.First; $port -le $piece.Last; $port++) {
            New-PublishedPort -Engine $Engine -Container $Container -HostIp $HostIp -Port $port `
                -ContainerPort ($ContainerFirst + $port - $First)
        }
    }
}

function ConvertFrom-PodmanContainerList {
    <#
    .SYNOPSIS
        The TCP ports of `podman ps --format json`'s containers, one object per port inside Within
        (ranges expanded there only), a WslPortProxy.PublishedRange for the rest.
    .DESCRIPTION
        Each container has Names (a list) and Ports, a list of PortMapping (containers/common,
        libnetwork/types/network.go): host_ip ('' = all addresses), host_port, container_port,
        range (how many ports; 0 or 1 = one) and protocol ('tcp', 'udp', 'sctp' or a comma list).
        -p 1-65535:1-65535 is one mapping with range 65535.
    .PARAMETER Within
        Sorted, disjoint port ranges (First, Last) to expand; $null expands everything.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyString()] [string] $Json,
        [AllowNull()] [object[]] $Within
    )
    $parsed = ConvertFrom-Json -InputObject $Json
    foreach ($container in @($parsed | Where-Object -FilterScript { $null -ne $_ })) {
        $name = "$(@($container.Names)[0])"
        foreach ($mapping in @($container.Ports | Where-Object -FilterScript { $null -ne $_ })) {
            $protocols = "$($mapping.protocol)".ToLowerInvariant().Split(',')
            if ("$($mapping.protocol)" -ne '' -and $protocols -notcontains 'tcp') {
                continue
            }
            $first = [int] $mapping.host_port
            $last = [Math]::Min(65535, $first + [Math]::Max(1, [int] $mapping.range) - 1)
            ConvertFrom-PublishedMapping -Engine 'podman' -Container $name -HostIp "$($mapping.host_ip)" `
                -First $first -Last $last -ContainerFirst ([int] $mapping.container_port) -Within $Within
        }
    }
}

function ConvertFrom-DockerPortText {
    <#
    .SYNOPSIS
        The TCP ports in docker ps's Ports text ('0.0.0.0:8080->80/tcp, :::8080->80/tcp'), ranges expanded.
    .DESCRIPTION
        The text is docker/cli's DisplayablePorts (cli/command/formatter/container.go): published
        ports as ip:host->container/proto, host and container possibly ranges ('a-b'); a port
        that is exposed but not published ('80/tcp') has no '->' and is not a published port.
        Ports outside Within are not expanded (as ConvertFrom-PodmanContainerList).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyString()] [string] $Text,
        [Parameter(Mandatory)] [string] $Container,
        [AllowNull()] [object[]] $Within
    )
    $pattern = '^(?<ip>.*):(?<host>\d+)(-(?<hostEnd>\d+))?->(?<inner>\d+)(-\d+)?/(?<protocol>\w+)$'
    foreach ($item in $Text.Split(',')) {
        $match = [regex]::Match($item.Trim(), $pattern)
        if (-not $match.Success -or $match.Groups['protocol'].Value -ne 'tcp') {
            continue
        }
        $first = [int] $match.Groups['host'].Value
        $last = $first
        if ($match.Groups['hostEnd'].Success) {
            $last = [int] $match.Groups['hostEnd'].Value
        }
        ConvertFrom-PublishedMapping -Engine 'docker' -Container $Container -HostIp $match.Groups['ip'].Value `
            -First $first -Last ([Math]::Min(65535, $last)) -ContainerFirst ([int] $match.Groups['inner'].Value) `
            -Within $Within
    }
}

function Read-PodmanPort {
    <#
    .SYNOPSIS
        The ports the podman machine's containers publish, through podman.exe and the machine's connection.
    .DESCRIPTION
        podman ps over the connection Get-PodmanConnection names; a machine that is not running,
        or a podman that fails, is an error (exit 13). LocalAppData: as for Get-PodmanConnection.
        Within: as for ConvertFrom-PodmanContainerList (New-PublishedReading).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Distro,
        [AllowNull()] [AllowEmptyString()] [string] $LocalAppData,
        [AllowNull()] [object[]] $Within,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $target = Get-PodmanConnection -Distro $Distro -LocalAppData $LocalAppData -CommandTimeout $CommandTimeout
    $podman = $target.Podman
    $connection = $target.Connection
    $result = Invoke-Podman -Podman $podman -ArgumentList @('--connection', $connection, 'ps', '--format', 'json') `
        -LocalAppData $null -CommandTimeout $CommandTimeout
    # podman writes warnings to stderr: the JSON array is what follows the first line that opens one.
    $lines = @($result.Output)
    $start = -1
    for ($index = 0; $index -lt $lines.Count; $index++) {
        if ("$($lines[$index])".TrimStart().StartsWith('[')) {
            $start = $index
            break
        }
    }
    $ports = $null
    if ($result.ExitCode -eq 0 -and $start -ge 0) {
        try {
            $ports = @(ConvertFrom-PodmanContainerList -Json ($lines[$start..($lines.Count - 1)] -join "`n") `
                    -Within $Within)
        }
        catch {
            Write-Verbose -Message "Unreadable output of podman ps: $($_.Exception.Message)"
        }
    }
    if ($null -eq $ports) {
        $message = "podman --connection $connection ps failed (exit $($result.ExitCode)): $(($lines -join ' ').Trim())"
        if ($result.ExitCode -eq 0) {
            $message = "podman --connection $connection ps printed no readable list: $(($lines -join ' ').Trim())"
        }
        throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message $message -Category InvalidResult)
    }
    return New-PublishedReading -Engine "podman (connection $connection)" -Item $ports
}

function Read-DockerPort {
    <#
    .SYNOPSIS
        The ports Docker Engine's containers publish in the distribution; $null when it has no Docker socket.
    .DESCRIPTION
        One wsl.exe call: docker ps runs only when /var/run/docker.sock exists. The account's
        default user in the distribution must be allowed to use it (the docker group). Within: as
        for ConvertFrom-DockerPortText.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $WslPath,
        [Parameter(Mandatory)] [string] $Distro,
        [AllowNull()] [object[]] $Within,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $probe = "if [ -S /var/run/docker.sock ]; then docker ps --no-trunc --format '{{json .}}'; " +
        "else echo 'no docker socket'; fi"
    $result = Invoke-Wsl -WslPath $WslPath -ArgumentList @('--distribution', $Distro, '--exec', 'sh', '-c', $probe) `
        -CommandTimeout $CommandTimeout
    $text = ($result.Output -join ' ').Trim()
    if ($result.ExitCode -ne 0) {
        $message = "docker ps in $Distro failed (exit $($result.ExitCode)): $text"
        throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message $message -Category ConnectionError)
    }
    if ($text -eq 'no docker socket') {
        return $null
    }
    $ports = foreach ($line in @($result.Output | Where-Object -FilterScript { "$_".TrimStart().StartsWith('{') })) {
        $container = ConvertFrom-Json -InputObject $line
        ConvertFrom-DockerPortText -Text "$($container.Ports)" -Container "$(@($container.Names -split ',')[0])" `
            -Within $Within
    }
    return New-PublishedReading -Engine 'docker' -Item @($ports)
}

function New-PublishedReading {
    <#
    .SYNOPSIS
        An engine reading: Engine, Ports (the WslPortProxy.PublishedPort items) and Outside (the
        WslPortProxy.PublishedRange items: published, not expanded).
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Engine,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Item
    )
    $ports = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $outside = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($entry in $Item) {
        if ($entry.PSObject.TypeNames -contains 'WslPortProxy.PublishedRange') {
            $outside.Add($entry)
        }
        else {
            $ports.Add($entry)
        }
    }
    return [pscustomobject]@{ Engine = $Engine; Ports = $ports.ToArray(); Outside = $outside.ToArray() }
}

function Get-PublishedPortScope {
    <#
    .SYNOPSIS
        The ports worth expanding when the engine is read for auto_ports: its allow-list and the
        static entries' connect ports, as sorted, disjoint ranges (First, Last); $null without auto_ports.
    .DESCRIPTION
        A container decides what it publishes: -p 1-65535:1-65535 is one line of podman ps, and
        expanding it port by port costs about 20 s of CPU. Only the ports auto_ports may forward,
        and those a static entry forwards to (for the drift), are expanded; the rest stays a range.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [pscustomobject] $Settings)
    $auto = $Settings.PSObject.Properties['AutoPorts']
    if ($null -eq $auto -or $null -eq $auto.Value) {
        return $null
    }
    $ranges = @($auto.Value.Allow | ForEach-Object -Process { [pscustomobject]@{ First = $_.First; Last = $_.Last } })
    $ranges += @($Settings.Rules | ForEach-Object -Process {
            [pscustomobject]@{ First = $_.ConnectPort; Last = $_.ConnectPort } })
    $merged = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($range in @($ranges | Sort-Object -Property First)) {
        $last = $null
        if ($merged.Count -gt 0) {
            $last = $merged[$merged.Count - 1]
        }
        if ($null -ne $last -and $range.First -le $last.Last + 1) {
            $last.Last = [Math]::Max($last.Last, $range.Last)
        }
        else {
            $merged.Add([pscustomobject]@{ First = $range.First; Last = $range.Last })
        }
    }
    return , [object[]] $merged.ToArray()
}

function Read-PublishedPort {
    <#
    .SYNOPSIS
        What the container engine publishes: podman for a podman machine, else Docker Engine; $null for none.
    .DESCRIPTION
        Returns Engine (which engine, and how it was asked) and Ports (WslPortProxy.PublishedPort,
        sorted by port). The engine is asked, not the sockets: what it publishes is what it means
        to serve. A podman machine also offers a Docker-compatible socket for the same containers,
        so Docker is asked only in a distribution that is not a podman machine. Throws exit 13
        (EngineFailed) when the engine is there but cannot be read. With auto_ports only the ports
        of Get-PublishedPortScope are expanded, the rest is in Outside; All expands everything
        (Find-WslPortProxyPort, run by an admin, lists what is published).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [switch] $All
    )
    $within = $null
    if (-not $All) {
        $within = Get-PublishedPortScope -Settings $Settings
    }
    if ($Settings.PodmanMachine) {
        $reading = Read-PodmanPort -Distro $Settings.Distro -CommandTimeout $Settings.CommandTimeouts.Podman `
            -LocalAppData (Get-PodmanLinkFolder -Directory $Settings.InstallDirectory) -Within $within
    }
    else {
        $reading = Read-DockerPort -WslPath (Find-WslProgram) -Distro $Settings.Distro `
            -CommandTimeout $Settings.CommandTimeouts.Wsl -Within $within
    }
    if ($null -ne $reading) {
        $reading.Ports = [object[]] @($reading.Ports | Sort-Object -Property Port, Container, HostIp)
    }
    return $reading
}

function Get-PublishedPortReading {
    <#
    .SYNOPSIS
        Read-PublishedPort that never throws: Reading (or $null for no engine) and Failure (why not, or $null).
    .DESCRIPTION
        One read serves every caller in a run: -Status reads once for the drift and for auto_ports.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [pscustomobject] $Settings)
    $result = [pscustomobject]@{ Reading = $null; Failure = $null }
    try {
        $result.Reading = Read-PublishedPort -Settings $Settings
    }
    catch {
        $result.Failure = $_.Exception.Message
    }
    return $result
}

function Group-PublishedPort {
    <#
    .SYNOPSIS
        Published ports by port: port -> Port, Containers ('a, b': sorted, each once), Reachable
        (on any address but loopback), HostIp (of the first binding).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param([Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Published)
    $items = @{}   # not [ordered]: an int key would be taken as a position
    foreach ($item in $Published) {
        if (-not $items.ContainsKey($item.Port)) {
            $items[$item.Port] = New-Object -TypeName 'System.Collections.Generic.List[object]'
        }
        $items[$item.Port].Add($item)
    }
    $groups = @{}
    foreach ($port in $items.Keys) {
        $bindings = $items[$port]
        $groups[$port] = [pscustomobject]@{
            Port       = $port
            Containers = @($bindings | ForEach-Object -Process { $_.Container } | Sort-Object -Unique) -join ', '
            Reachable  = @($bindings | Where-Object -FilterScript { $_.Reachable }).Count -gt 0
            HostIp     = $bindings[0].HostIp
        }
    }
    return $groups
}

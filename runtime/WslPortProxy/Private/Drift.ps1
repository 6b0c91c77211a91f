# How what the container engine publishes compares with what the settings forward (the drift), and
# the port inventory (Find-WslPortProxyPort). Read-only.

function New-Drift {
    <#
    .SYNOPSIS
        One WslPortProxy.Drift: Port (to Last), Kind, Message, and the Containers and HostIp that publish it.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [int] $Port,
        [int] $Last = $Port,
        [Parameter(Mandatory)] [string] $Kind,
        [Parameter(Mandatory)] [string] $Message,
        [AllowEmptyString()] [string] $Containers = '',
        [AllowEmptyString()] [string] $HostIp = ''
    )
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.Drift'; Port = $Port; Last = $Last; Kind = $Kind; Message = $Message
        Containers = $Containers; HostIp = $HostIp
    }
}

function Get-PublishedDrift {
    <#
    .SYNOPSIS
        How the published ports and the forwarded ones differ: one WslPortProxy.Drift per port.
    .DESCRIPTION
        Kind is NotForwarded (published and reachable, no rule forwards to it), NotPublished (a
        rule forwards to it, nothing publishes it) or LoopbackOnly (published on a loopback
        address only: not reachable through eth0, so skipped). Information, not a problem. With
        AutoPorts, a published port outside its allow-list says so; the ports auto_ports skipped
        (Skipped: they have a warning of their own) are left out. Outside: the reading's ranges
        left unexpanded (New-PublishedReading), one drift per range. Each drift also carries Last
        (the range's last port; Port itself for one port), Containers and HostIp, for the -Status
        text (Format-DriftText); the status report keeps Port, Kind and Message.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Published,
        [AllowNull()] [pscustomobject] $AutoPorts,
        [AllowEmptyCollection()] [int[]] $Skipped = @(),
        [AllowNull()] [AllowEmptyCollection()] [object[]] $Outside = @()
    )
    $forwarded = @{}
    foreach ($item in $Rule) {
        $forwarded[$item.ConnectPort] = $item
    }
    $byPort = Group-PublishedPort -Published $Published
    foreach ($port in @($byPort.Keys | Sort-Object)) {
        $names = $byPort[$port].Containers
        if (-not $byPort[$port].Reachable) {
            $text = "Port $port ($names) is published on $($byPort[$port].HostIp) only: not reachable through " +
                'eth0, so it cannot be forwarded; skipped.'
            New-Drift -Port $port -Kind 'LoopbackOnly' -Message $text -Containers $names -HostIp $byPort[$port].HostIp
        }
        elseif (-not $forwarded.ContainsKey($port) -and $Skipped -notcontains $port) {
            $text = "Port $port is published ($names) but not forwarded: add $port to this server's ports in the " +
                'inventory (Update-WslPortProxy.ps1 -Discover prints the entries).'
            if ($null -ne $AutoPorts) {
                $text = "Port $port is published ($names) but not forwarded: it is outside auto_ports.allow; add " +
                    "it there or to this server's ports in the inventory."
            }
            New-Drift -Port $port -Kind 'NotForwarded' -Message $text -Containers $names -HostIp $byPort[$port].HostIp
        }
    }
    foreach ($range in @($Outside | Where-Object -FilterScript { $null -ne $_ })) {
        $words = @("Port $($range.First) is", 'it is', 'it')
        if ($range.Last -ne $range.First) {
            $words = @("Ports $($range.First)-$($range.Last) are", 'they are', 'them')
        }
        $kind = 'NotForwarded'
        $text = "$($words[0]) published ($($range.Container)) but not forwarded: $($words[1]) outside " +
            "auto_ports.allow; add $($words[2]) there or to this server's ports in the inventory."
        if (-not $range.Reachable) {
            $kind = 'LoopbackOnly'
            $text = "$($words[0]) published ($($range.Container)) on $($range.HostIp) only: not reachable " +
                'through eth0, so not forwarded; skipped.'
        }
        New-Drift -Port $range.First -Last $range.Last -Kind $kind -Message $text -Containers $range.Container `
            -HostIp $range.HostIp
    }
    foreach ($port in @($forwarded.Keys | Sort-Object)) {
        if (-not $byPort.ContainsKey($port)) {
            $text = "Port $port is forwarded ($($forwarded[$port].Key)) but no container publishes it."
            New-Drift -Port $port -Kind 'NotPublished' -Message $text
        }
    }
}

function ConvertTo-PortInventory {
    <#
    .SYNOPSIS
        Inventory entries (YAML lines, to paste under a server's ports:) for the ports published now.
    .DESCRIPTION
        One entry per reachable published port, consecutive ports of the same containers as one
        range ("9000-9002"), each with the containers as a comment and "already forwarded" when a
        rule forwards to it; ports published on loopback only are listed as comments.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Reading,
        [Parameter(Mandatory)] [string] $Distro,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule
    )
    $forwarded = @{}
    foreach ($item in $Rule) {
        $forwarded[$item.ConnectPort] = $true
    }
    $runs = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $skipped = New-Object -TypeName 'System.Collections.Generic.List[string]'
    $byPort = Group-PublishedPort -Published $Reading.Ports
    foreach ($port in @($byPort.Keys | Sort-Object)) {
        $group = $byPort[$port]
        if (-not $group.Reachable) {
            $skipped.Add("$port ($($group.Containers), on $($group.HostIp) only)")
            continue
        }
        $note = $group.Containers
        if ($forwarded.ContainsKey($port)) {
            $note += ', already forwarded'
        }
        $last = $null
        if ($runs.Count -gt 0) {
            $last = $runs[$runs.Count - 1]
        }
        if ($null -ne $last -and $last.Last -eq $port - 1 -and $last.Note -eq $note) {
            $last.Last = $port
        }
        else {
            $runs.Add([pscustomobject]@{ First = $port; Last = $port; Note = $note })
        }
    }
    "# What $($Reading.Engine) publishes in WSL distribution $Distro now; paste under this server's ""ports:""."
    foreach ($run in $runs) {
        $entry = "$($run.First)"
        if ($run.Last -ne $run.First) {
            $entry = '"{0}-{1}"' -f $run.First, $run.Last
        }
        '- {0} # {1}' -f $entry.PadRight(13), $run.Note
    }
    if ($runs.Count -eq 0) {
        '# No container publishes a TCP port that can be reached through eth0.'
    }
    foreach ($item in $skipped) {
        "# Not reachable through eth0, so not listed: $item"
    }
}

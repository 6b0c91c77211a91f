<#
    Scenes of WSL and Podman over the fake programs' state (wsl.json, podman.json).

    The fake wsl.exe and podman.exe (fakewin.py) read and write wsl.json and podman.json; these
    helpers set the scene they answer from: distributions and their addresses, containers and their
    published ports, podman events, a WSL restart with a new address.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:Set-SimWsl { param([hashtable] $Distros) Write-SimState 'wsl.json' @{ distros = $Distros } }

function global:Remove-SimWsl {
    <# No wsl.exe anywhere: neither the WSL package nor the inbox System32 one. #>
    Remove-Item -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'WSL') -Recurse
    Remove-Item -LiteralPath (Join-Path (Join-Path $global:WslppSim.SystemRoot 'System32') 'wsl.exe')
}

function global:Restart-SimWsl {
    <# WSL restarts with a new address: keep-alive processes end, the distro answers with NewIp. #>
    param([string] $NewIp, [string] $Distro = 'podman-machine-default')
    $python = Get-SimPython
    & $python (Join-Path $PSScriptRoot 'fakewin.py') $global:WslppSim.State restart-wsl $Distro $NewIp
}

function global:New-SimPublish {
    <# One PortMapping of podman ps --format json (containers/common libnetwork/types/network.go). #>
    param([int] $HostPort, [int] $ContainerPort = $HostPort, [string] $HostIp = '', [int] $Range = 1, [string] $Protocol = 'tcp')
    @{ host_ip = $HostIp; container_port = $ContainerPort; host_port = $HostPort; range = $Range; protocol = $Protocol }
}

function global:Set-SimContainer {
    <#
        The running containers of a podman machine connection (NAME rootless, NAME-root rootful):
        name -> its PortMappings (New-SimPublish). Replaces that connection's containers.
    #>
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Container, [string] $Connection = 'podman-machine-default')
    $podman = Read-SimState 'podman.json'
    if (-not $podman.ContainsKey('containers')) { $podman['containers'] = @{} }
    $podman.containers[$Connection] = @(foreach ($name in $Container.Keys) { @{ Names = @($name); Ports = @($Container[$name]) } })
    Write-SimState 'podman.json' $podman
}

function global:Send-SimContainerEvent {
    <#
        What the engine reports after a container changed (podman events' JSON: libpod/events/config.go
        Event): appended to the connection's event log, which a running fake `podman events` streams.
        Set-SimContainer first: the event follows the change, as in podman.
    #>
    param([Parameter(Mandatory)] [string] $Name, [string] $Status = 'start', [string] $Connection = 'podman-machine-default')
    $event = [ordered]@{ ID = ('{0:x64}' -f $Name.GetHashCode()); Image = 'docker.io/library/nginx:latest'; Name = $Name
        Status = $Status; Time = (Get-Date).ToUniversalTime().ToString('o'); Type = 'container' }
    $line = (ConvertTo-Json -InputObject $event -Compress) + "`n"
    [System.IO.File]::AppendAllText((Join-Path $global:WslppSim.State "events-$Connection.jsonl"), $line)
}

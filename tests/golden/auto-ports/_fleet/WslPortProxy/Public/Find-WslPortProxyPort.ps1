function Find-WslPortProxyPort {
    <#
    .SYNOPSIS
        Lists the TCP ports that containers publish in this server's WSL distribution, from the container engine.
    .DESCRIPTION
        Asks the container engine what it publishes, not which sockets listen: for a podman
        machine, the Windows podman.exe client over the machine's connection (NAME, or NAME-root
        when the machine is rootful); for any other distribution, Docker Engine when
        /var/run/docker.sock exists there (docker ps, as the account's default WSL user). It
        changes nothing and starts nothing: a podman machine that is not running is an error.
        Podman machines and WSL distributions are per user: run by another account than the task's,
        it lists what the task account's watcher last recorded (observed.json; only with auto_ports,
        else exit 13 naming the task account) and says whose it is and how old.

        Returns one object per container and port (see OUTPUTS); with AsInventory, the lines of
        YAML to paste under this server's ports: in the inventory instead.

        No engine (not a podman machine, and no Docker socket), podman.exe missing, a stopped
        machine, or an engine that fails is a terminating error, ErrorId WslPortProxy.EngineFailed,
        exit code 13; invalid settings are exit code 10.
    .PARAMETER Settings
        The settings: the path of a WslPortProxy.Settings.psd1 or a table with its keys.
    .PARAMETER AsInventory
        Return YAML inventory entries instead of objects.
    .EXAMPLE
        Find-WslPortProxyPort -Settings "$env:ProgramData\WslPortProxy\WslPortProxy.Settings.psd1" | Format-Table

        Shows every port the containers publish, and whether it is forwarded.
    .EXAMPLE
        Find-WslPortProxyPort -Settings .\WslPortProxy.Settings.psd1 -AsInventory | Set-Clipboard

        Copies the inventory entries for what is published now.
    .OUTPUTS
        WslPortProxy.PublishedPort
            One per container and port:
              Engine         'podman' or 'docker'
              Container      the container's name
              HostIp         where it is published inside WSL; 0.0.0.0 for all addresses
              Port           the port inside WSL a rule would connect to
              ContainerPort  the port inside the container
              Reachable      $false for a port published on a loopback address only: portproxy
                             connects through eth0 and can never reach it
              Forwarded      whether a rule of the settings connects to it
        System.String
            With AsInventory: the YAML lines, with the container names as comments
            (Update-WslPortProxy.ps1 -Discover prints them).
    .LINK
        Get-WslPortProxyStatus
    .LINK
        Update-WslPortProxy
    .LINK
        about_WslPortProxy
    #>
    [CmdletBinding()]
    [OutputType('WslPortProxy.PublishedPort', [string])]
    param(
        [Parameter(Mandatory, Position = 0)] [object] $Settings,
        [switch] $AsInventory
    )
    $ErrorActionPreference = 'Stop'
    try {
        $config = Import-Settings -Settings $Settings
        $view = Get-WslView -Settings $config -ExitCode 13   # podman machines and distributions are per user
        if ($view.Source -eq 'WatcherRecord') {
            $reading = Get-RecordedReading -View $view
        }
        else {
            $reading = Read-PublishedPort -Settings $config -All
        }
        if ($null -eq $reading) {
            $message = "No container engine to ask in WSL distribution $($config.Distro): the settings do not name " +
                'a podman machine (podman_machine), and /var/run/docker.sock does not exist there.'
            throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message $message -Category ObjectNotFound)
        }
        if ($AsInventory) {
            if ($view.Source -eq 'WatcherRecord') {
                "# $($view.Record.Text); you are $($view.Caller)."
            }
            return ConvertTo-PortInventory -Reading $reading -Distro $config.Distro -Rule $config.Rules
        }
        if ($view.Source -eq 'WatcherRecord') {
            Write-Information -MessageData "$($view.Record.Text); you are $($view.Caller)."
        }
        $connected = @($config.Rules | ForEach-Object -Process { $_.ConnectPort })
        foreach ($item in $reading.Ports) {
            $forwarded = $connected -contains $item.Port
            $item | Add-Member -NotePropertyName 'Forwarded' -NotePropertyValue $forwarded -PassThru
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}

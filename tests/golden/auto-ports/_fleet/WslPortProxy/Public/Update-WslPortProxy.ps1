function Update-WslPortProxy {
    <#
    .SYNOPSIS
        Forwards this server's LAN ports to WSL 2 and keeps the forwarding right.
    .DESCRIPTION
        One run resolves the IPv4 address of WSL (eth0 of the settings' distribution, after
        starting its podman machine when the settings say so), then reconciles the portproxy
        and firewall rules this tool manages: missing rules are added, rules pointing at an
        old address are rewritten in place (netsh interface portproxy set: never a moment
        without a rule), firewall rules are created or corrected, and only then are rules this
        tool created earlier but no longer wanted deleted. Only rules on forwarded addresses
        and ports are touched: one someone else made there is taken over (with a warning; its
        old target is recorded) and, when the port is no longer forwarded or on -Remove, set
        back to that old target instead of deleted. Every other rule is never changed.

        Current rules are read from the registry (HKLM:\SYSTEM\CurrentControlSet\Services\
        PortProxy\v4tov4\tcp, and ...\v6tov4\tcp for IPv6 listen addresses, which forward to
        WSL's IPv4 address too), so the result does not depend on the system language. When
        everything is already right, nothing is written. What this tool created is recorded in
        <install folder>\state.json; the log is <install folder>\logs\Update-WslPortProxy.log;
        events go to the Application log, source WslPortProxy (Windows PowerShell 5.1).

        Returns a WslPortProxy.RunResult (see OUTPUTS); -Watch returns nothing and runs until
        stopped. A failure is a terminating error whose
        ErrorId names it and whose exception's Data['WslPortProxyExitCode'] is the exit code
        the entry script Update-WslPortProxy.ps1 returns:
          3  WslNotFound, DistroNotFound: wsl.exe or the distribution is missing for this account
          4  NoWslAddress: WSL had no IPv4 address on eth0 within WaitForWslSeconds
          5  NetshFailed, NetshNotApplied: netsh failed, or the registry does not show its change
          6  FirewallFailed: a firewall rule could not be applied or removed
          7  IpHelperNotRunning: the IP Helper service is not running and could not be started
          8  LockTimeout: another run held the reconcile lock for too long
          10 InvalidSettings: the settings file is missing, unreadable or invalid
          11 NotNatNetworking, LocalAddress: WSL is not in NAT mode, or its address is this server's
             own (WSL 1, mirrored): a rule would forward into this server itself
          12 PodmanStartFailed: podman machine start failed, or the machine does not run after it
          1  anything else (unexpected)
        When a run fails, every rule that existed before it is still there.
    .PARAMETER Settings
        The settings: the path of a WslPortProxy.Settings.psd1 or a table with its keys.
    .PARAMETER Watch
        What the scheduled task runs: reconciles, then keeps one keep-alive process inside the
        distribution (a WSL instance stops when no client process remains, taking containers and
        address with it). When it ends, WSL stopped or restarted: the watcher reconciles against
        the new address at once and starts a new keep-alive. It also re-checks every
        RecheckSeconds, retries a failed reconcile after 30 seconds, and runs until the task is
        stopped. One watcher per server (a lock file): a second one returns at once. When the
        settings name a MetricsFile, it is rewritten after every reconcile (Prometheus text for
        windows_exporter's textfile collector).
    .PARAMETER Remove
        Deletes every portproxy and firewall rule this tool created on this server (and only
        those), stops the keep-alive and forgets them. Needs no WSL.
    .PARAMETER Pause
        Pauses the watcher for Minutes (default 30): it neither reconciles nor keeps WSL up, so
        that wsl --shutdown or wsl --update is not undone at once. A pause always ends: at its
        time, with -Resume, or at the next reboot. Returns a WslPortProxy.PauseState.
    .PARAMETER Minutes
        How long -Pause lasts, 1 to 1440 minutes.
    .PARAMETER Resume
        Ends a pause; the watcher reconciles within a second. Returns a WslPortProxy.PauseState.
    .PARAMETER MaxLogBytes
        Size at which the log file is rotated (Update-WslPortProxy.1.log ... .4.log are kept).
    .EXAMPLE
        Update-WslPortProxy -Settings "$env:ProgramData\WslPortProxy\WslPortProxy.Settings.psd1" -Verbose

        Reconciles the rules once and explains each step.
    .EXAMPLE
        Update-WslPortProxy -Settings .\WslPortProxy.Settings.psd1 -WhatIf

        Shows what would change, and changes nothing.
    .EXAMPLE
        Update-WslPortProxy -Settings .\WslPortProxy.Settings.psd1 -Pause -Minutes 15; wsl.exe --update

        Keeps the watcher from restarting WSL while it is being updated (Resume, or wait 15 minutes).
    .EXAMPLE
        (Update-WslPortProxy -Settings .\WslPortProxy.Settings.psd1).Changes | Format-Table

        Shows each rule the run added, rewrote, kept or deleted.
    .OUTPUTS
        WslPortProxy.RunResult
            One per run:
              Server        the settings' server name
              Address       WSL's IPv4 address the rules now point at
              Written       how many rules were added or rewritten
              Removed       how many rules were deleted
              Restored      how many taken-over rules were set back to their old target
              Changes       one WslPortProxy.Change per rule (Kind, Action, Name, Target, Previous,
                            Written, Planned): what was added, rewritten, kept or deleted
              NotListening  the listeners IP Helper does not listen on after the run
              Automatic     the rules auto_ports added
              Skipped       the published ports auto_ports could not forward, and why
              Message       the run in one sentence (also in the log and the event)
        WslPortProxy.PauseState
            With Pause or Resume: Server, Until (the pause's end, or $null) and Message.
    .LINK
        Get-WslPortProxyStatus
    .LINK
        Install-WslPortProxy
    .LINK
        Uninstall-WslPortProxy
    .LINK
        about_WslPortProxy
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Once')]
    [OutputType('WslPortProxy.RunResult', 'WslPortProxy.PauseState')]
    param(
        [Parameter(Mandatory, Position = 0)] [object] $Settings,
        [Parameter(ParameterSetName = 'Watch')] [switch] $Watch,
        [Parameter(ParameterSetName = 'Remove')] [switch] $Remove,
        [Parameter(Mandatory, ParameterSetName = 'Pause')] [switch] $Pause,
        [Parameter(ParameterSetName = 'Pause')] [ValidateRange(1, 1440)] [int] $Minutes = 30,
        [Parameter(Mandatory, ParameterSetName = 'Resume')] [switch] $Resume,
        [ValidateRange(65536, 1073741824)] [int] $MaxLogBytes = 1048576
    )
    $ErrorActionPreference = 'Stop'
    $config = Import-Settings -Settings $Settings
    $env:WSL_UTF8 = '1'   # wsl.exe's own messages in UTF-8, not UTF-16
    $logs = Join-Path -Path $config.InstallDirectory -ChildPath 'logs'
    $log = Open-RunLog -Directory $logs -MaxBytes $MaxLogBytes -NoFile:$WhatIfPreference
    Write-Log -Log $log -Message ("Run started ($($PSCmdlet.ParameterSetName)) on $env:COMPUTERNAME as " +
        "$env:USERDOMAIN\$env:USERNAME for server $($config.Server).")
    try {
        if ($Watch) {
            Invoke-Watch -Settings $config -Log $log
            return
        }
        if ($Pause -or $Resume) {
            $until = $null
            if ($Pause) {
                $until = (Set-WatcherPause -Directory $config.InstallDirectory -Minutes $Minutes).ToLocalTime()
                $message = "The watcher is paused until $($until.ToString('yyyy-MM-dd HH:mm')) (local time), or " +
                    'until -Resume or the next reboot.'
            }
            elseif (Clear-WatcherPause -Directory $config.InstallDirectory) {
                $message = 'The watcher is no longer paused.'
            }
            else {
                $message = 'The watcher was not paused.'
            }
            Write-Log -Log $log -Message $message
            return [pscustomobject]@{
                PSTypeName = 'WslPortProxy.PauseState'; Server = $config.Server; Until = $until; Message = $message
            }
        }
        if ($Remove) {
            $wsl = $null
            try {
                $wsl = Find-WslProgram
            }
            catch {
                Write-Log -Log $log -Message "No wsl.exe, so no keep-alive to stop: $($_.Exception.Message)"
            }
            Stop-KeepAlive -WslPath $wsl -Directory $config.InstallDirectory -Log $log
        }
        $result = Invoke-LockedReconcile -Settings $config -Log $log -Remove:$Remove
        Write-Log -Log $log -Message $result.Message
        $result
    }
    catch {
        $null = Write-Failure -ErrorRecord $_ -Log $log
        $PSCmdlet.ThrowTerminatingError($_)
    }
}

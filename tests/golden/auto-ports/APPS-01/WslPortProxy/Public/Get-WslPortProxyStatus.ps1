function Get-WslPortProxyStatus {
    <#
    .SYNOPSIS
        Checks every forwarded port end to end: rule, firewall, listener, WSL side.
    .DESCRIPTION
        Returns one WslPortProxy.PortStatus object per forwarded listen address and port, and
        nothing else. On the information stream it then writes the verdict ('OK: all N port(s) are
        forwarded, allowed, listening and answered by WSL.' or 'PROBLEM: n of N port(s) have a
        problem ...') and, apart from it, the drift (below). WSL
        distributions are per user: run by another account than the task's, it checks against what
        the task account's watcher last recorded (observed.json) and says whose it is and how old
        (exit 9, NoObservation, when there is no record yet). When an
        admin has paused the watcher (Update-WslPortProxy -Pause), an information message says
        until when. It
        changes nothing, but asking WSL for its address starts the distribution if it is stopped.

        A port auto_ports admits but cannot forward (another process holds it, or a portproxy
        rule this tool did not create is there) is a warning.
        Drift between what containers publish and what is forwarded is information, never a
        problem: each published port that is not forwarded, each forwarded port nothing
        publishes, and each port published on a loopback address only (portproxy cannot reach
        it) is a WslPortProxy.Drift in the report, and the information stream shows them after
        the verdict as one labelled block, 'Drift (information; does not change the verdict):',
        with one line per kind listing its ports (consecutive ones as a range).
        With Report, returns instead one WslPortProxy.StatusReport (after the same information),
        versioned so that it can be sent as JSON: Update-WslPortProxy.ps1 -Status -Json prints it
        with ConvertTo-Json -Depth 4 (README.txt lists its properties).
    .PARAMETER Settings
        The settings: the path of a WslPortProxy.Settings.psd1 or a table with its keys.
    .PARAMETER Report
        Return one WslPortProxy.StatusReport instead of the rows.
    .EXAMPLE
        Get-WslPortProxyStatus -Settings "$env:ProgramData\WslPortProxy\WslPortProxy.Settings.psd1" | Format-Table

        Shows every forwarded port of this server.
    .EXAMPLE
        Get-WslPortProxyStatus -Settings .\WslPortProxy.Settings.psd1 | Where-Object -FilterScript { -not $_.Ok }

        Lists only the ports that have a problem.
    .EXAMPLE
        (Get-WslPortProxyStatus -Settings .\WslPortProxy.Settings.psd1 -Report).Summary.Text

        One line: how many ports are right.
    .OUTPUTS
        WslPortProxy.PortStatus
            One per forwarded listen address and port:
              Listener        '0.0.0.0:80': where Windows listens
              Target          '172.28.241.140:80': where it should forward (WSL's address now), or $null
              Rule            'ok', 'missing' or 'stale (points at a.b.c.d/p)'
              Firewall        'ok', 'no rule (allow_from is empty)', 'missing (<name>)', 'disabled',
                              'inactive: ...' when the server's network profile is not one the rule covers,
                              or 'inert: ...' when Group Policy ignores local rules on that profile
              Listening       whether IP Helper (portproxy) listens on the listener: the registry alone
                              proves nothing, as IP Helper silently fails to bind a port another
                              process holds or one in an excluded port range
              ListeningOwner  who listens there: 'svchost (PID n: services iphlpsvc, ...)' when it is
                              IP Helper, another process ('System (PID 4: HTTP.sys, ...)'), or ''
              WslAnswers      whether the WSL side accepts a TCP connection on the target port
              Ok              all of the above are right
              Problem         '' when Ok, else what is wrong, in words
              Published       the containers that publish the target port inside WSL, as the container
                              engine says (Find-WslPortProxyPort), or '' (none, or no engine)
              Source          'inventory' (a port of the inventory) or 'auto_ports' (published by a
                              container and inside auto_ports.allow)
        WslPortProxy.StatusReport
            With Report:
              SchemaVersion   the report's version
              Server, ComputerName, Distro, GeneratedUtc, PausedUntilUtc
              WslAddress      WSL's address now, or $null
              Summary         Ports, Ok, Problems, AllOk, Text
              Ports           the WslPortProxy.PortStatus rows
              Warnings        the warnings, as text
              Engine          the container engine that was read, or $null for none
              Drift           one WslPortProxy.Drift (Port, Kind, Message) per drift
              View            whose view of WSL: Source 'Wsl' when the caller is the task's account
                              and asked WSL, 'WatcherRecord' when another account read what the task
                              account's watcher recorded in observed.json; Account, Caller,
                              ObservedUtc, AgeSeconds, Text
    .LINK
        Find-WslPortProxyPort
    .LINK
        Update-WslPortProxy
    .LINK
        Publish-WslPortProxy
    .LINK
        about_WslPortProxy
    #>
    [CmdletBinding()]
    [OutputType('WslPortProxy.PortStatus', 'WslPortProxy.StatusReport')]
    param(
        [Parameter(Mandatory, Position = 0)] [object] $Settings,
        [switch] $Report
    )
    $ErrorActionPreference = 'Stop'
    try {
        $config = Import-Settings -Settings $Settings
        $log = Open-RunLog -Directory (Join-Path -Path $config.InstallDirectory -ChildPath 'logs') -NoFile
        $pausedUntil = Get-WatcherPause -Directory $config.InstallDirectory
        if ($null -ne $pausedUntil) {
            $local = $pausedUntil.ToLocalTime().ToString('yyyy-MM-dd HH:mm')
            Write-Information -MessageData "The watcher is paused until $local (local time); -Resume ends the pause."

        }
        $address = $null
        $warnings = New-Object -TypeName 'System.Collections.Generic.List[string]'
        if ($config.MetricsFile) {   # the watcher's reason to write no metrics file
            $unsafe = Get-WriteTargetProblem -Path $config.MetricsFile
            if ($unsafe) {
                $warnings.Add("Cannot write the metrics file $($config.MetricsFile): $unsafe")
                Write-Warning -Message $warnings[$warnings.Count - 1]
            }
        }
        $rows = New-Object -TypeName 'System.Collections.Generic.List[object]'
        $problemCount = 0
        $view = Get-WslView -Settings $config   # another account sees none of the task account's distributions
        if ($view.Source -eq 'WatcherRecord') {
            Write-Information -MessageData "$($view.Record.Text); you are $($view.Caller)."
            $address = $view.Record.Address
            $attempt = $view.Record.Published
        }
        else {
            try {
                $address = Get-WslAddress -WslPath (Find-WslProgram) -Distro $config.Distro -TimeoutSeconds 0 `
                    -Log $log -CommandTimeout $config.CommandTimeouts.Wsl
            }
            catch {
                $warnings.Add($_.Exception.Message)
                Write-Warning -Message $_.Exception.Message
            }
            $attempt = Get-PublishedPortReading -Settings $config   # one read: drift and auto_ports
        }
        $reading = $attempt.Reading
        if ($null -ne $attempt.Failure) {
            $warnings.Add("Cannot read the published ports: $($attempt.Failure)")
            Write-Warning -Message $warnings[$warnings.Count - 1]
        }
        $state = Read-State -Path (Join-Path -Path $config.InstallDirectory -ChildPath 'state.json') `
            -Server $config.Server -Log $log
        $current = Get-PortProxyRule   # one registry read: auto_ports and the checks below
        $plan = Get-AutomaticRule -Settings $config -Automatic $state.Automatic -Current $current -Log $log `
            -Published $attempt
        foreach ($item in $plan.Skipped) {
            $warnings.Add($item.Message)
            Write-Warning -Message $warnings[$warnings.Count - 1]
        }
        $effective = Merge-AutomaticRule -Settings $config -Rule $plan.Rules
        $automatic = @($plan.Rules | ForEach-Object -Process { $_.Key })
        $publishers = @{}
        $drift = @()
        if ($null -ne $reading) {
            $publishers = Group-PublishedPort -Published $reading.Ports
            $skipped = @($plan.Skipped | ForEach-Object -Process { [int] $_.Port })
            $outside = $reading.PSObject.Properties['Outside']   # not in the watcher's record (observed.json)
            $drift = @(Get-PublishedDrift -Rule $effective.Rules -Published $reading.Ports `
                    -AutoPorts $config.AutoPorts -Skipped $skipped -Outside $(if ($outside) { $outside.Value }))
        }
        foreach ($check in @(Get-PortCheck -Settings $effective -Address $address -Current $current)) {
            $problems = @($check.Problems)
            $answers = $false
            if ($null -ne $address) {
                $answers = [bool] (Test-NetConnection -ComputerName $address -Port $check.Rule.ConnectPort `
                        -InformationLevel Quiet -WarningAction SilentlyContinue)
                if (-not $answers) {
                    $problems += "WSL does not answer on $($check.Target)"
                }
            }
            $containers = ''
            if ($publishers.ContainsKey($check.Rule.ConnectPort)) {
                $containers = $publishers[$check.Rule.ConnectPort].Containers
            }
            $source = 'inventory'
            if ($automatic -contains $check.Rule.Key) {
                $source = 'auto_ports'
            }
            $row = [pscustomobject]@{
                PSTypeName     = 'WslPortProxy.PortStatus'
                Listener       = $check.Listener
                Target         = $check.Target
                Rule           = $check.RuleState
                Firewall       = $check.Firewall
                Listening      = $check.Listening
                ListeningOwner = $check.ListeningOwner
                WslAnswers     = $answers
                Published      = $containers
                Source         = $source
                Ok             = $problems.Count -eq 0
                Problem        = $problems -join '; '
            }
            if (-not $row.Ok) {
                $problemCount++
            }
            $rows.Add($row)
            if (-not $Report) {
                $row
            }
        }
        # The verdict, then the drift apart from it: information that never changes the verdict.
        Write-Information -MessageData (Format-StatusVerdict -Ports $rows.Count -Problems $problemCount)
        foreach ($line in @(Format-DriftText -Drift $drift -AutoPorts:($null -ne $config.AutoPorts))) {
            Write-Information -MessageData $line
        }
        if ($Report) {
            $engine = $null
            if ($null -ne $reading) {
                $engine = $reading.Engine
            }
            ConvertTo-StatusReport -Settings $config -Address $address -Row $rows.ToArray() -PausedUntil $pausedUntil `
                -Warning @($warnings | ForEach-Object -Process { "$_" }) -Engine $engine -Drift $drift `
                -View (ConvertTo-StatusView -View $view)
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}

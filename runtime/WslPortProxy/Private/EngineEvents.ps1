# The container engine's event stream: with auto_ports, the watcher reconciles as soon as a
# container starts, stops, dies or is removed, instead of at the next re-check.

function Start-EngineEventStream {
    <#
    .SYNOPSIS
        Starts `podman events` for the machine's containers; returns the stream (Process, Pending, ...) or $null.
    .DESCRIPTION
        podman --connection <the machine's> events --format json --filter type=container, its
        output read line by line without blocking (StreamReader.ReadLineAsync: a Task the
        watcher waits on, a quarter of a second at a time, along with the keep-alive and its
        timer). Returns $null when there is nothing to follow: no auto_ports, or an engine other
        than podman (Docker is re-checked periodically). A machine that is not running, or no
        podman.exe, is an error (exit 13, EngineFailed): the watcher tries again later. podman
        runs with the PATH of Get-PodmanSearchPath, as every podman the module starts.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    if ($null -eq $Settings.AutoPorts -or $Settings.AutoPorts.From -ne 'podman') {
        return $null
    }
    $target = Get-PodmanConnection -Distro $Settings.Distro -CommandTimeout $Settings.CommandTimeouts.Podman `
        -LocalAppData (Get-PodmanLinkFolder -Directory $Settings.InstallDirectory)
    $arguments = @('--connection', $target.Connection, 'events', '--format', 'json', '--filter', 'type=container')
    $command = "podman $($arguments -join ' ')"
    if (-not $PSCmdlet.ShouldProcess($command, 'Start following the container events')) {
        return $null
    }
    $info = New-Object -TypeName System.Diagnostics.ProcessStartInfo
    $info.FileName = $target.Podman
    $info.Arguments = ConvertTo-CommandLine -ArgumentList $arguments
    $info.UseShellExecute = $false
    $info.CreateNoWindow = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.EnvironmentVariables['PATH'] = Get-PodmanSearchPath -Podman $target.Podman   # as Invoke-Podman's
    $process = [System.Diagnostics.Process]::Start($info)
    Write-Log -Log $Log -Message "Following the container events ($command, process $($process.Id))."
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.EventStream'
        Process    = $process
        Reader     = $process.StandardOutput
        Pending    = $process.StandardOutput.ReadLineAsync()
        Errors     = $process.StandardError.ReadToEndAsync()   # drained as it comes: a full pipe would block podman
        Started    = Get-Date
        Command    = $command
    }
}

function Stop-EngineEventStream {
    <#
    .SYNOPSIS
        Ends a running event stream's process (nothing for $null or one that already ended).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param([AllowNull()] [pscustomobject] $Stream)
    if ($null -eq $Stream -or $Stream.Process.HasExited -or -not $PSCmdlet.ShouldProcess($Stream.Command, 'Stop')) {
        return
    }
    try {
        $Stream.Process.Kill()
    }
    catch {
        Write-Verbose -Message "The event stream ended by itself: $($_.Exception.Message)"
    }
}

function Wait-PendingLine {
    <#
    .SYNOPSIS
        Waits up to Milliseconds for a pending ReadLineAsync task; whether it has completed.
    .DESCRIPTION
        Task.Wait(int) is public in .NET Framework 4.5 and later (Windows PowerShell 5.1 cannot
        call a task's explicitly implemented IAsyncResult.AsyncWaitHandle). A faulted read has
        completed too: Wait throws for it.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)] [System.Threading.Tasks.Task] $Task,
        [Parameter(Mandatory)] [int] $Milliseconds
    )
    try {
        return $Task.Wait($Milliseconds)
    }
    catch {
        return $true
    }
}

function Receive-EngineEvent {
    <#
    .SYNOPSIS
        Waits up to Milliseconds for the stream's next line; returns $null (nothing yet), the
        container events that matter (start, stop, die, remove), or why the stream ended.
    .DESCRIPTION
        Returns a WslPortProxy.EngineEvents with Ended ($true: the stream is over; Message says
        how) and Events ('start web', ...). Lines that arrive together, or within 100 ms of each
        other, are taken together: podman run gives several events, one reconcile follows them.
        For at most $script:WslppEventDrainMilliseconds, though: a steady flood of events (one
        every 50 ms) would otherwise keep the watcher reading, with no re-check and no look at
        WSL's keep-alive while it lasts. The lines left are taken at the next call.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Stream,
        [Parameter(Mandatory)] [int] $Milliseconds
    )
    if (-not (Wait-PendingLine -Task $Stream.Pending -Milliseconds $Milliseconds)) {
        return $null
    }
    $events = New-Object -TypeName 'System.Collections.Generic.List[string]'
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    while ($Stream.Pending.IsCompleted) {
        $line = $null
        if (-not $Stream.Pending.IsFaulted) {
            $line = $Stream.Pending.Result
        }
        if ($null -eq $line -and $events.Count -gt 0) {
            break   # the events first; the end is seen at the next call (Pending stays completed)
        }
        if ($null -eq $line) {
            $null = $Stream.Process.WaitForExit(2000)
            $said = ''
            if ($Stream.Errors.IsCompleted -and -not $Stream.Errors.IsFaulted -and "$($Stream.Errors.Result)".Trim()) {
                $said = ": $("$($Stream.Errors.Result)".Trim())"
            }
            $code = 'still running'
            if ($Stream.Process.HasExited) {
                $code = "exit $($Stream.Process.ExitCode)"
            }
            return [pscustomobject]@{
                PSTypeName = 'WslPortProxy.EngineEvents'; Ended = $true; Events = @()
                Message = "$($Stream.Command) ended ($code)$said"
            }
        }
        $Stream.Pending = $Stream.Reader.ReadLineAsync()
        try {
            $item = ConvertFrom-Json -InputObject $line
            $status = $item.PSObject.Properties['Status']   # podman; Docker says Action
            if ($null -eq $status) {
                $status = $item.PSObject.Properties['Action']
            }
            $action = ''
            if ($null -ne $status) {
                $action = "$($status.Value)".ToLowerInvariant()
            }
            $name = $item.PSObject.Properties['Name']
            if ($action -in @('start', 'stop', 'died', 'die', 'remove') -and $null -ne $name) {
                $events.Add("$action $($name.Value)")
            }
        }
        catch {
            Write-Verbose -Message "Not an event: $line"
        }
        $left = $script:WslppEventDrainMilliseconds - $clock.ElapsedMilliseconds
        if ($left -le 0) {
            break   # bounded: the watcher looks at WSL and its timer before it reads on
        }
        $null = Wait-PendingLine -Task $Stream.Pending -Milliseconds ([Math]::Min(100, $left))
    }
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.EngineEvents'; Ended = $false; Events = $events.ToArray(); Message = ''
    }
}

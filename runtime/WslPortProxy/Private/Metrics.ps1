# The Prometheus text file for windows_exporter's textfile collector (settings: MetricsFile).
# Format: https://prometheus.io/docs/instrumenting/exposition_formats/ (LF line ends, UTF-8, a
# final line feed); windows_exporter reads only *.prom files (docs/collector.textfile.md).

function Format-MetricLabel {
    <#
    .SYNOPSIS
        '{name="value",...}' with each value escaped as the text format wants (\\, \" and \n).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [System.Collections.Specialized.OrderedDictionary] $Label)
    $pairs = foreach ($name in $Label.Keys) {
        $value = "$($Label[$name])".Replace('\', '\\').Replace('"', '\"').Replace("`n", '\n')
        '{0}="{1}"' -f $name, $value
    }
    return '{' + ($pairs -join ',') + '}'
}

function ConvertTo-MetricText {
    <#
    .SYNOPSIS
        The metrics file's text after one reconcile: per port forwarded/allowed/listening, the run, WSL.
    .DESCRIPTION
        Numbers are written with the invariant culture (a German server would write 0,25).
        Check is Get-PortCheck's output; Restarts counts the WSL restarts this watcher has seen.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Check,
        [AllowNull()] [AllowEmptyString()] [string] $Address,
        [Parameter(Mandatory)] [bool] $Success,
        [Parameter(Mandatory)] [datetime] $Finished,
        [Parameter(Mandatory)] [double] $DurationSeconds,
        [Parameter(Mandatory)] [int] $Restarts
    )
    $invariant = [cultureinfo]::InvariantCulture
    $server = [ordered]@{ server = $Settings.Server }
    $lines = New-Object -TypeName 'System.Collections.Generic.List[string]'
    $portMetrics = [ordered]@{
        forwarded = 'Whether the portproxy rule points at the current WSL address (1) or not (0).'
        allowed   = "Whether this tool's inbound firewall rule allows the port on the active network profile."
        listening = 'Whether IP Helper (portproxy) listens on the address and port.'
    }
    # One label set per port, made once: this runs after every reconcile, for up to 1,000 ports.
    $labels = foreach ($item in $Check) {
        Format-MetricLabel -Label ([ordered]@{
                server = $Settings.Server; listen_address = $item.Rule.ListenAddress
                listen_port = $item.Rule.ListenPort; connect_port = $item.Rule.ConnectPort
            })
    }
    $labels = @($labels)
    foreach ($name in $portMetrics.Keys) {
        $lines.Add("# HELP wslportproxy_port_$name $($portMetrics[$name])")
        $lines.Add("# TYPE wslportproxy_port_$name gauge")
        for ($index = 0; $index -lt $Check.Count; $index++) {
            $item = $Check[$index]
            $value = $item.Listening
            if ($name -eq 'forwarded') {
                $value = $item.RuleState -eq 'ok'
            }
            elseif ($name -eq 'allowed') {
                $value = $item.Firewall -eq 'ok'
            }
            $lines.Add("wslportproxy_port_$name$($labels[$index]) $([int] [bool] $value)")
        }
    }
    $epoch = [datetimeoffset]::new($Finished.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000
    $run = [ordered]@{
        last_reconcile_timestamp_seconds = @('gauge', 'When the last reconcile ended (Unix time).', $epoch)
        last_reconcile_duration_seconds  = @('gauge', 'How long the last reconcile took.', $DurationSeconds)
        last_reconcile_success           = @('gauge', 'Whether the last reconcile succeeded (1) or failed (0).',
            [int] $Success)
        wsl_restarts_total               = @('counter', 'WSL stops or restarts this watcher has seen since it started.',
            $Restarts)
    }
    foreach ($name in $run.Keys) {
        $type, $help, $value = $run[$name]
        $lines.Add("# HELP wslportproxy_$name $help")
        $lines.Add("# TYPE wslportproxy_$name $type")
        $number = ([double] $value).ToString('R', $invariant)
        $lines.Add("wslportproxy_$name$(Format-MetricLabel -Label $server) $number")
    }
    $info = [ordered]@{ server = $Settings.Server; distro = $Settings.Distro; address = "$Address" }
    $lines.Add('# HELP wslportproxy_wsl_info The WSL distribution and its current IPv4 address (empty when unknown).')
    $lines.Add('# TYPE wslportproxy_wsl_info gauge')
    $lines.Add("wslportproxy_wsl_info$(Format-MetricLabel -Label $info) 1")
    return ($lines -join "`n") + "`n"
}

function Write-MetricsFile {
    <#
    .SYNOPSIS
        Replaces the metrics file at once: UTF-8 without BOM, LF line ends, via a temporary file beside it.
    .DESCRIPTION
        Set-Content in Windows PowerShell 5.1 would add a BOM and CRLF; windows_exporter would
        read a half-written file. The temporary file ends in .tmp, which the collector ignores.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Text
    )
    if (-not $PSCmdlet.ShouldProcess($Path, 'Write the metrics file')) {
        return
    }
    $temporary = "$Path.$PID.tmp"
    $bytes = (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false).GetBytes($Text)
    try {
        [System.IO.File]::WriteAllBytes($temporary, $bytes)
        if ([System.IO.File]::Exists($Path)) {
            [System.IO.File]::Replace($temporary, $Path, [NullString]::Value)   # $null would be '' here
        }
        else {
            [System.IO.File]::Move($temporary, $Path)
        }
    }
    finally {
        if ([System.IO.File]::Exists($temporary)) {
            [System.IO.File]::Delete($temporary)
        }
    }
}

function Update-MetricsFile {
    <#
    .SYNOPSIS
        After a reconcile: checks every port and rewrites the metrics file, if the settings name one.
    .DESCRIPTION
        Never fails the watcher: a problem (e.g. windows_exporter's folder is missing) is logged
        as a warning, once until it changes or goes away. Costs one registry read and the
        firewall and listener queries of -Status, only when MetricsFile is set. The file is
        written only where Get-WriteTargetProblem finds nothing (a folder only administrators
        may write, no link on the path); else nothing is written, and -Status says why.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [AllowNull()] [AllowEmptyString()] [string] $Address,
        [Parameter(Mandatory)] [bool] $Success,
        [Parameter(Mandatory)] [double] $DurationSeconds,
        [Parameter(Mandatory)] [int] $Restarts,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    if (-not $Settings.MetricsFile) {
        return
    }
    $problem = Get-WriteTargetProblem -Path $Settings.MetricsFile
    if ($problem) {
        $problem = "Cannot write the metrics file $($Settings.MetricsFile): $problem"
    }
    else {
        try {
            $check = @(Get-PortCheck -Settings $Settings -Address $Address)
            $text = ConvertTo-MetricText -Settings $Settings -Check $check -Address $Address -Success $Success `
                -Finished (Get-Date) -DurationSeconds $DurationSeconds -Restarts $Restarts
            Write-MetricsFile -Path $Settings.MetricsFile -Text $text
        }
        catch {
            $problem = "Cannot write the metrics file $($Settings.MetricsFile): $($_.Exception.Message)"
        }
    }
    if ($problem -and $problem -ne $Log.Warned['MetricsFile']) {
        Write-Log -Log $Log -Level WARN -Message $problem
    }
    $Log.Warned['MetricsFile'] = $problem
}

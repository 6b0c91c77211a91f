# state.json: the rules this tool wrote, so that it only ever deletes its own, and the old target of
# each rule it took over, so that it can put that rule back.

function New-State {
    <#
    .SYNOPSIS
        A state object: portproxy rule -> the target this tool wrote; taken-over portproxy rule ->
        its target before this tool took it over; firewall rule names; the portproxy rules that
        auto_ports made (Automatic).
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [hashtable] $PortProxy = @{},
        [hashtable] $TakenOver = @{},
        [string[]] $Firewall = @(),
        [string[]] $Automatic = @()
    )
    $names = @($Firewall | Sort-Object -Unique)
    $auto = @($Automatic | Where-Object -FilterScript { $PortProxy.ContainsKey($_) } | Sort-Object -Unique)
    $rules = @($PortProxy.Keys | Sort-Object | ForEach-Object -Process { '{0}={1}' -f $_, $PortProxy[$_] })
    $taken = @($TakenOver.Keys | Sort-Object | ForEach-Object -Process { '{0}={1}' -f $_, $TakenOver[$_] })
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.State'
        PortProxy  = $PortProxy
        TakenOver  = $TakenOver
        Firewall   = [string[]] $names
        Automatic  = [string[]] $auto
        Text       = ($rules -join ',') + '|' + ($taken -join ',') + '|' + ($names -join ',') + '|' + ($auto -join ',')
    }
}

function Read-State {
    <#
    .SYNOPSIS
        The rules this tool wrote earlier, from state.json.
    .DESCRIPTION
        Entries that do not look like ours are dropped; a missing, unreadable or foreign file
        (another server's) counts as no state, with a warning.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Server,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return New-State
    }
    $pattern = $script:WslppRuleKeyPattern
    $portProxy = @{}
    $takenOver = @{}
    $firewall = @()
    $automatic = @()
    try {
        $saved = Get-Content -LiteralPath $Path -Raw -Encoding UTF8 -ErrorAction Stop | ConvertFrom-Json
        if ($saved.server -ne $Server) {
            throw "it belongs to server '$($saved.server)', not $Server"
        }
        foreach ($entry in $saved.portProxy.PSObject.Properties) {
            if ($entry.Name -match $pattern -and "$($entry.Value)" -match $pattern) {
                $portProxy[$entry.Name] = "$($entry.Value)"
            }
        }
        $taken = $saved.PSObject.Properties['takenOver']
        if ($null -ne $taken -and $null -ne $taken.Value) {
            foreach ($entry in $taken.Value.PSObject.Properties) {
                if ($portProxy.ContainsKey($entry.Name) -and "$($entry.Value)" -match $pattern) {
                    $takenOver[$entry.Name] = "$($entry.Value)"
                }
            }
        }
        $firewall = @($saved.firewall | Where-Object -FilterScript { "$_" -like "$($script:WslppRulePrefix)-*" })
        $auto = $saved.PSObject.Properties['automatic']   # since auto_ports; absent in older files
        if ($null -ne $auto) {
            $automatic = @($auto.Value | ForEach-Object -Process { "$_" })
        }
    }
    catch {
        Write-Log -Log $Log -Level WARN -Message "Ignoring the state file ${Path}: $($_.Exception.Message)"
        return New-State
    }
    return New-State -PortProxy $portProxy -TakenOver $takenOver -Firewall $firewall -Automatic $automatic
}

function Merge-StateChange {
    <#
    .SYNOPSIS
        The state after a run: the previous state with the run's change records applied.
    .DESCRIPTION
        A rule added, rewritten or found right (Kept) is ours with its target; one taken over or
        adopted is ours too, and its old target (Previous) is remembered; one deleted, restored,
        or released because it is no longer ours, is forgotten. Planned records (-WhatIf) change
        nothing. Automatic names the rules auto_ports wanted in this run: those that are ours
        afterwards are recorded as automatic.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $State,
        [AllowEmptyCollection()] [object[]] $Change = @(),
        [AllowEmptyCollection()] [string[]] $Automatic = @()
    )
    $portProxy = $State.PortProxy.Clone()
    $takenOver = $State.TakenOver.Clone()
    $firewall = New-Object -TypeName 'System.Collections.Generic.HashSet[string]' -ArgumentList @(
        , [string[]] $State.Firewall)
    foreach ($item in @($Change | Where-Object -FilterScript { -not $_.Planned })) {
        $ours = $item.Action -in @('Added', 'Rewrote', 'TookOver', 'Kept', 'Adopted', 'Created', 'Corrected')
        if ($item.Kind -eq 'PortProxy' -and $ours) {
            $portProxy[$item.Name] = $item.Target
            if ($item.Action -in @('TookOver', 'Adopted')) {
                $takenOver[$item.Name] = $item.Previous
            }
        }
        elseif ($item.Kind -eq 'PortProxy') {
            $portProxy.Remove($item.Name)
            $takenOver.Remove($item.Name)
        }
        elseif ($ours) {
            [void] $firewall.Add($item.Name)
        }
        else {
            [void] $firewall.Remove($item.Name)
        }
    }
    return New-State -PortProxy $portProxy -TakenOver $takenOver -Firewall ([string[]] @($firewall)) `
        -Automatic $Automatic
}

function Save-State {
    <#
    .SYNOPSIS
        Writes state.json when the managed rules changed (atomically: a temporary file, then a move).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Server,
        [Parameter(Mandatory)] [pscustomobject] $State,
        [Parameter(Mandatory)] [pscustomobject] $Previous
    )
    if ($State.Text -eq $Previous.Text -and (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return
    }
    if (-not $PSCmdlet.ShouldProcess($Path, 'Save the list of managed rules')) {
        return
    }
    $folder = Split-Path -Path $Path -Parent
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
        New-Item -Path $folder -ItemType Directory -Force | Out-Null
    }
    $rules = [ordered]@{}
    foreach ($key in $State.PortProxy.Keys | Sort-Object) {
        $rules[$key] = $State.PortProxy[$key]
    }
    $taken = [ordered]@{}
    foreach ($key in $State.TakenOver.Keys | Sort-Object) {
        $taken[$key] = $State.TakenOver[$key]
    }
    $document = [pscustomobject]@{
        schema = 1; server = $Server; portProxy = $rules; takenOver = $taken; firewall = $State.Firewall
        automatic = $State.Automatic
    }
    $temporary = "$Path.tmp"
    Set-Content -LiteralPath $temporary -Value ($document | ConvertTo-Json) -Encoding UTF8
    Move-Item -LiteralPath $temporary -Destination $Path -Force
}

function Get-CallerAccount {
    <#
    .SYNOPSIS
        The account this process runs as, 'DOMAIN\user', as the module names it everywhere
        ($env:USERDOMAIN\$env:USERNAME, what the run log and Start-PodmanMachine's warning say).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    return '{0}\{1}' -f $env:USERDOMAIN, $env:USERNAME
}

function Save-Observation {
    <#
    .SYNOPSIS
        Records in observed.json what this run saw of WSL: its address, the engine reading, when and as whom.
    .DESCRIPTION
        WSL distributions and podman machines are per user (HKCU\...\Lxss of the caller: microsoft/WSL
        src/windows/common/registry.cpp OpenLxssUserKey), so an admin who is not the task's account
        cannot ask WSL; -Status, -Discover and Find-WslPortProxyPort read this record instead.
        Written atomically: a temporary file of this process's own, then a move over the old one.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [AllowNull()] [AllowEmptyString()] [string] $Address,
        [AllowNull()] [pscustomobject] $Published
    )
    $path = Join-Path -Path $Directory -ChildPath 'observed.json'
    if (-not $PSCmdlet.ShouldProcess($path, 'Record what WSL looks like to the task account')) {
        return
    }
    $engine = $null
    $ports = $null
    $failure = $null
    if ($null -ne $Published) {
        $failure = $Published.Failure
        if ($null -ne $Published.Reading) {
            $engine = $Published.Reading.Engine
            $ports = [object[]] @($Published.Reading.Ports | Select-Object -Property Engine, Container, HostIp, Port,
                ContainerPort, Reachable)
        }
    }
    $document = [pscustomobject]@{
        schema       = 1
        account      = Get-CallerAccount
        observedUnix = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()   # a number: ConvertFrom-Json (7) turns dates
        wslAddress   = $(if ($Address) { $Address } else { $null })
        engineRead   = $null -ne $Published
        engine       = $engine
        ports        = $ports
        failure      = $failure
    }
    if (-not (Test-Path -LiteralPath $Directory -PathType Container)) {
        New-Item -Path $Directory -ItemType Directory -Force | Out-Null
    }
    $temporary = '{0}.{1}.tmp' -f $path, $PID
    Set-Content -LiteralPath $temporary -Value ($document | ConvertTo-Json -Depth 4) -Encoding UTF8
    Move-Item -LiteralPath $temporary -Destination $path -Force
}

function Read-Observation {
    <#
    .SYNOPSIS
        What the task account's last run recorded (observed.json), with AgeSeconds and Text, or $null.
    .DESCRIPTION
        Published is what Get-PublishedPortReading returns (Reading $null and Failure $null: the run
        read no engine). Text says whose view it is and how old: "WSL as seen by CORP\svc-podman's
        watcher 42 s ago".
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [string] $Directory)
    $path = Join-Path -Path $Directory -ChildPath 'observed.json'
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        return $null
    }
    try {
        $data = Get-Content -LiteralPath $path -Raw -Encoding UTF8 | ConvertFrom-Json
        $when = [DateTimeOffset]::FromUnixTimeSeconds([long] $data.observedUnix).UtcDateTime
    }
    catch {
        return $null
    }
    $age = [Math]::Max(0, [int] ((Get-Date).ToUniversalTime() - $when).TotalSeconds)
    $observed = $when.ToString('yyyy-MM-ddTHH:mm:ssZ', [cultureinfo]::InvariantCulture)
    $published = [pscustomobject]@{ Reading = $null; Failure = $null }
    if ($data.engine) {
        $published.Reading = [pscustomobject]@{ Engine = $data.engine; Ports = [object[]] @($data.ports) }
    }
    elseif ($data.failure) {
        $published.Failure = $data.failure
    }
    return [pscustomobject]@{
        Account     = "$($data.account)"
        ObservedUtc = $observed
        AgeSeconds  = $age
        Address     = $(if ($data.wslAddress) { "$($data.wslAddress)" } else { $null })
        EngineRead  = [bool] $data.engineRead
        Published   = $published
        Text        = "WSL as seen by $($data.account)'s watcher $age s ago (observed.json, $observed)"
    }
}

function Get-WslView {
    <#
    .SYNOPSIS
        Whose view of WSL a read-only command may use: 'Wsl' (ask it: the caller is the task's account)
        or 'WatcherRecord' (the caller is another account, who sees none of the task account's distributions).
    .DESCRIPTION
        The task's account is RunAs; with no RunAs (the installing admin's) it is the account the
        record names, and without a record the caller is taken for it (ask WSL, as before). Account
        names are compared ignoring case, as Windows does. Returns Source, Caller, TaskAccount and
        Record (Read-Observation, or $null). Exit 9 (NoObservation) when the record is needed and missing.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [int] $ExitCode = 9
    )
    $caller = Get-CallerAccount
    $record = Read-Observation -Directory $Settings.InstallDirectory
    $task = $caller
    if ($Settings.RunAs) {
        $task = Get-TaskAccount -RunAs $Settings.RunAs
    }
    elseif ($null -ne $record) {
        $task = $record.Account
    }
    $view = [pscustomobject]@{ Source = 'Wsl'; Caller = $caller; TaskAccount = $task; Record = $record }
    if ($task -eq $caller) {   # -eq ignores case
        return $view
    }
    if ($null -eq $record) {
        $message = "You are $caller, not the task's account $task, and WSL distributions are per user: " +
            "the watcher has not recorded anything yet (observed.json), so there is nothing to check against. " +
            "Run this as $task, or start the task and try again."
        throw (New-Failure -ExitCode $ExitCode -ErrorId 'NoObservation' -Message $message -Category ObjectNotFound)
    }
    $view.Source = 'WatcherRecord'
    return $view
}

function Get-RecordedReading {
    <#
    .SYNOPSIS
        The engine reading the task account's watcher recorded (Get-WslView's Record), for a caller who
        cannot ask the engine; exit 13 (EngineFailed) naming the task account when there is none.
    .DESCRIPTION
        The watcher reads the engine only for auto_ports, so without auto_ports there is nothing recorded.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [pscustomobject] $View)
    $published = $View.Record.Published
    if ($null -ne $published.Reading) {
        return $published.Reading
    }
    $why = 'it reads the container engine only for auto_ports'
    if ($published.Failure) {
        $why = "it could not read the container engine: $($published.Failure)"
    }
    $message = "You are $($View.Caller), not the task's account $($View.TaskAccount), and podman machines and WSL " +
        "distributions are per user; the watcher recorded no published ports ($why). " +
        "Run this as $($View.TaskAccount)."
    throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message $message -Category ObjectNotFound)
}

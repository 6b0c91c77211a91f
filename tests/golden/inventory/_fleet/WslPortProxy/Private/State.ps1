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
